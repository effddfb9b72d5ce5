/* summit-bpf: "timeRun": timing samples of a loaded program with BPF_PROG_TEST_RUN. Each sample
 * makes `calls` test runs of `repeat` repetitions and gives the kernel's average duration (whole
 * nanoseconds per repetition, averaged over the calls) and, with "stats", the kernel's own run-time
 * statistics (BPF_ENABLE_STATS: run_time_ns / run_cnt over the sample, fractional nanoseconds;
 * the switch is system-wide and held only while the request runs). Context-only types
 * (raw_tracepoint) take no repeat: give calls instead. Reply: retval (of the last run),
 * durations [ns], statNs [ns] with stats. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "helper.h"

static int run_stats(int fd, uint64_t *time_ns, uint64_t *count)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return -1;
	*time_ns = info.run_time_ns;
	*count = info.run_cnt;
	return 0;
}

void op_time_run(struct time_req *q)
{
	struct run_req *r = &q->run;
	int stats_fd = -1;
	uint32_t retval = 0;
	if (pad_raw_tp_ctx(r) < 0) {
		reply_error("out of memory", ENOMEM);
		return;
	}
	if (q->stats) {
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd < 0) {
			reply_error("BPF_ENABLE_STATS failed", errno);
			return;
		}
	}
	json_object *durations = json_object_new_array();
	json_object *stat_ns = json_object_new_array();
	for (uint32_t s = 0; s < q->samples; s++) {
		uint64_t t0 = 0, c0 = 0, t1 = 0, c1 = 0;
		double sum = 0;
		if (q->stats && run_stats(r->fd, &t0, &c0) < 0)
			goto failed;
		for (uint32_t c = 0; c < q->calls; c++) {
			LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = (int)r->repeat, .flags = r->flags,
				    .cpu = r->cpu, .batch_size = r->batch);
			if (r->data.present) {
				opts.data_in = r->data.data;
				opts.data_size_in = (__u32)r->data.len;
			}
			if (r->ctx.present) {
				opts.ctx_in = r->ctx.data;
				opts.ctx_size_in = (__u32)r->ctx.len;
			}
			if (bpf_prog_test_run_opts(r->fd, &opts) < 0)
				goto failed;
			sum += opts.duration;
			retval = opts.retval;
		}
		json_object_array_add(durations, json_object_new_double(sum / q->calls));
		if (q->stats) {
			if (run_stats(r->fd, &t1, &c1) < 0)
				goto failed;
			double per_run = c1 > c0 ? (double)(t1 - t0) / (double)(c1 - c0) : 0;
			json_object_array_add(stat_ns, json_object_new_double(per_run));
		}
	}
	if (stats_fd >= 0)
		close(stats_fd);
	reply_ok();
	reply_int("retval", retval);
	json_object_object_add(reply, "durations", durations);
	if (q->stats)
		json_object_object_add(reply, "statNs", stat_ns);
	else
		json_object_put(stat_ns);
	reply_int("cpu", pinned_cpu);
	return;
failed: {
	int err = errno;
	if (stats_fd >= 0)
		close(stats_fd);
	json_object_put(durations);
	json_object_put(stat_ns);
	reply_error("BPF_PROG_TEST_RUN failed", err);
}
}
