// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: mailsplit, mailinfo and subject parsing. */
#include <stddef.h>
#include <stdint.h>

#include "kser/buf.h"
#include "kser/mail.h"
#include "kser/series.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kser_raw_mails mails;
	size_t i;

	if (kser_mbox_split(&mails, (const char *)data, size, NULL))
		return 0;
	for (i = 0; i < mails.n; i++) {
		struct kser_mail *m = NULL;
		struct kser_subject_info info;

		if (kser_mail_parse(&m, mails.v[i].text, mails.v[i].len, NULL))
			continue;
		kser_subject_parse(&info, m->raw_subject);
		kser_mail_free(m);
	}
	kser_raw_mails_release(&mails);
	return 0;
}
