// SPDX-License-Identifier: GPL-2.0
/*
 * How a check's child ended: whether its failure is the patch's or the
 * machine's (a full disk, no memory, a missing program, a kill from
 * outside), whether it finished although the run was stopped, and the
 * end of what it said. Uses child processes' results and the core.
 */
#include <signal.h>
#include <string.h>

#include "kser/buf.h"
#include "kser/error.h"
#include "kser/proc.h"
#include "kser_lib_verify.h"

/*
 * Output that blames the machine, not the patch: what a full disk, missing
 * memory or a missing program make tools say, and kser-cc's own errors.
 */
static const char *const machine_markers[] = {
	"No space left on device",
	"Disk quota exceeded",
	"Read-only file system",
	"Input/output error",
	"Cannot allocate memory",
	"virtual memory exhausted",
	"Killed signal terminated program",
	"Too many open files",
	"Resource temporarily unavailable",
	"command not found",
	"Command not found",
	"kser-cc: error:",
};

/* The last line of text that holds one of the markers, or false. */
static bool machine_line(const char *text, size_t len, struct kser_buf *why)
{
	size_t end = len;

	while (end > 0) {
		size_t start = end;
		size_t i, n;

		while (start > 0 && text[start - 1] != '\n')
			start--;
		n = end - start;
		/* gcc quoting a source line ("  12 | text") is the patch's. */
		i = start;
		while (i < end && text[i] == ' ')
			i++;
		while (i < end && text[i] >= '0' && text[i] <= '9')
			i++;
		if (i + 1 < end && text[i] == ' ' && text[i + 1] == '|') {
			end = start ? start - 1 : 0;
			continue;
		}
		for (i = 0; i < sizeof(machine_markers) /
			    sizeof(*machine_markers); i++)
			if (memmem(text + start, n, machine_markers[i],
				   strlen(machine_markers[i])))
				break;
		/* dash says "sh: 1: prog: not found". */
		if (i < sizeof(machine_markers) / sizeof(*machine_markers) ||
		    (n > 11 && !memcmp(text + end - 11, ": not found", 11))) {
			kser_buf_printf(why, "%.*s", (int)(n > 300 ? 300 : n),
					text + start);
			return true;
		}
		end = start ? start - 1 : 0;
	}
	return false;
}

bool verify_machine_trouble(const struct kser_job *job, bool any_signal,
			    bool read_output, struct kser_buf *why)
{
	int sig = job->status > 128 ? job->status - 128 : 0;

	if (job->log_errno) {
		kser_buf_printf(why, "cannot write the log '%s': %s",
				job->log_path ? job->log_path : "",
				strerror(job->log_errno));
		return true;
	}
	if (job->timed_out || job->cancelled || !job->status)
		return false;
	if (sig && (any_signal || sig == SIGKILL || sig == SIGTERM ||
		    sig == SIGINT || sig == SIGHUP)) {
		kser_buf_printf(why, "%s was killed by signal %d (not by kser:"
				" out of memory?)", job->name, sig);
		return true;
	}
	return read_output && machine_line(kser_buf_cstr(&job->tail),
					   job->tail.len, why);
}

bool verify_finished_anyway(const struct kser_error *err,
			    const struct kser_job *job)
{
	return !err || (err->code == KSER_ERR_CANCELLED && !job->cancelled &&
			!job->spawn_failed);
}

void verify_tail_lines(struct kser_buf *out, const char *text, size_t len,
		       size_t nlines)
{
	size_t pos = len, seen = 0;

	while (pos > 0 && seen <= nlines) {
		pos--;
		if (text[pos] == '\n')
			seen++;
	}
	if (pos)
		pos++;
	kser_buf_put(out, text + pos, len - pos);
}
