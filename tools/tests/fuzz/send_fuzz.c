// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: kser send's preparation of the mails of an mbox (the
 * input, as a file), with a configured From, To and Cc to merge into
 * them, threaded. What would go out must be what kser send promises:
 * a header without control characters and with no line over 998
 * octets, an envelope of checked addresses only, each recipient once,
 * and a Message-Id "<...>". Anything else aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kser/send.h"
#include "mail/kser_lib_mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kser_send_config cfg;
static int input_fd = -1;
static char input_path[64];

static void setup(void)
{
	static const char *const settings[][2] = {
		{ "from", "Kay Ser <kay@example.org>" },
		{ "to", "A List <list@vger.example.org>" },
		{ "cc", "=?UTF-8?Q?R=C3=A9viewer?= <r@example.org>, b@example.org" },
	};
	size_t i;

	kser_send_config_init(&cfg);
	for (i = 0; i < sizeof(settings) / sizeof(*settings); i++)
		if (kser_send_config_apply(&cfg, settings[i][0],
					   settings[i][1]))
			abort();
	input_fd = memfd_create("mbox", MFD_CLOEXEC);
	if (input_fd < 0) {
		perror("memfd_create");
		abort();
	}
	snprintf(input_path, sizeof(input_path), "/proc/self/fd/%d",
		 input_fd);
}

static void bad(const struct kser_send_message *m, const char *why)
{
	fprintf(stderr, "send_fuzz: message '%s' %s\n", m->name, why);
	abort();
}

static void check(const struct kser_send_message *m)
{
	const char *p = m->data, *end = m->data + m->header_len;
	size_t i, j;

	if (m->header_len > m->len || m->data[m->header_len] != '\n')
		bad(m, "has no blank line after its header");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > 998)
			bad(m, "has a header line over 998 octets");
		for (i = 0; i < n; i++)
			if (((unsigned char)p[i] < 0x20 && p[i] != '\t') ||
			    (unsigned char)p[i] == 0x7f)
				bad(m, "has a control character in its header");
		p += n + 1;
	}
	if (!m->sender || kser_send_addr_check(m->sender, "sender"))
		bad(m, "has a bad envelope sender");
	if (!m->nrcpts)
		bad(m, "has no recipients");
	for (i = 0; i < m->nrcpts; i++) {
		if (kser_send_addr_check(m->rcpts[i].addr, "rcpt"))
			bad(m, "has a bad recipient");
		for (j = 0; j < i; j++)
			if (!strcasecmp(m->rcpts[i].addr, m->rcpts[j].addr))
				bad(m, "names a recipient twice");
	}
	if (!m->message_id || m->message_id[0] != '<' ||
	    m->message_id[strlen(m->message_id) - 1] != '>' ||
	    kser_send_has_ctl(m->message_id) || strchr(m->message_id, ' '))
		bad(m, "has a bad Message-Id");
	if (!m->subject)
		bad(m, "has no subject");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kser_outbox *box = NULL;
	size_t i;

	if (input_fd < 0)
		setup();
	if (ftruncate(input_fd, 0) < 0 ||
	    pwrite(input_fd, data, size, 0) != (ssize_t)size) {
		perror("writing the input");
		abort();
	}
	if (kser_outbox_load(&box, input_path, &cfg))
		return 0;
	for (i = 0; i < box->n; i++)
		check(&box->v[i]);
	kser_outbox_free(box);
	return 0;
}
