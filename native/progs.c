/* summit-bpf: program requests (load through the verifier, BPF_PROG_TEST_RUN) through libbpf's
 * bpf.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "helper.h"

/* raw_tracepoint programs may read 12 u64 arguments; the kernel runs them on the ctx_in copy as
 * given (and on NULL without one), so shorter contexts are zero-padded to this size. */
#define RAW_TP_CTX_BYTES 96

static uint32_t prog_type_of(int fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ? 0 : info.type;
}

void load_program(const struct load_req *q, struct load_result *res)
{
	size_t size = q->log_size;
	res->fd = -1;
	res->err = 0;
	res->log = NULL;
	res->logged = 0;
	for (int attempt = 0; attempt < 8; attempt++) {
		free(res->log);
		res->log = calloc(1, size + 1);
		if (!res->log) {
			res->err = ENOMEM;
			return;
		}
		/* log level 0 with a buffer: libbpf loads without a log and, on a rejection, asks again
		 * at level 1 so that the reasons come back */
		LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = q->expected_attach_type,
			    .prog_flags = q->prog_flags, .log_level = q->log_level,
			    .log_size = (__u32)size, .log_buf = res->log);
		res->fd = bpf_prog_load(q->prog_type, q->name, q->license,
					(const struct bpf_insn *)q->insns.data, q->insns.len / 8, &opts);
		if (res->fd >= 0) {
			res->logged = q->log_level > 0;
			own(res->fd);
			return;
		}
		res->err = errno;
		res->logged = 1;
		if (res->err == ENOSPC && size < LOG_SIZE_MAX) {
			size *= 4;
			continue;
		}
		return;
	}
}

void add_prog_info(json_object *o, int fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return;
	json_object_object_add(o, "xlatedBytes", json_object_new_int64(info.xlated_prog_len));
	json_object_object_add(o, "jitedBytes", json_object_new_int64(info.jited_prog_len));
	json_object_object_add(o, "verifiedInsns", json_object_new_int64(info.verified_insns));
}

int pad_raw_tp_ctx(struct run_req *q)
{
	if (q->data.present || q->ctx.len >= RAW_TP_CTX_BYTES ||
	    prog_type_of(q->fd) != BPF_PROG_TYPE_RAW_TRACEPOINT)
		return 0;
	uint8_t *padded = calloc(1, RAW_TP_CTX_BYTES);
	if (!padded) {
		errno = ENOMEM;
		return -1;
	}
	if (q->ctx.data)
		memcpy(padded, q->ctx.data, q->ctx.len);
	free(q->ctx.data);
	q->ctx.data = padded;
	q->ctx.len = RAW_TP_CTX_BYTES;
	q->ctx.present = 1;
	return 0;
}

int run_program(struct run_req *q)
{
	uint8_t *data_out = NULL, *ctx_out = NULL;
	int status = -1, err = 0;
	if (pad_raw_tp_ctx(q) < 0)
		return -1;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = (int)q->repeat, .flags = q->flags,
		    .cpu = q->cpu, .batch_size = q->batch);
	if (q->data.present) {
		opts.data_in = q->data.data;
		opts.data_size_in = (__u32)q->data.len;
	}
	if (q->data_out_size > 0) {
		data_out = calloc(1, q->data_out_size);
		opts.data_out = data_out;
		opts.data_size_out = q->data_out_size;
	}
	if (q->ctx.present) {
		opts.ctx_in = q->ctx.data;
		opts.ctx_size_in = (__u32)q->ctx.len;
	}
	if (q->ctx_out && q->ctx.len > 0) {
		ctx_out = calloc(1, q->ctx.len + 256);
		opts.ctx_out = ctx_out;
		opts.ctx_size_out = (__u32)(q->ctx.len + 256);
	}
	if ((q->data_out_size > 0 && !data_out) || (opts.ctx_size_out && !ctx_out)) {
		err = ENOMEM;
		goto done;
	}
	if (bpf_prog_test_run_opts(q->fd, &opts) < 0) {
		err = errno;
		goto done;
	}
	reply_ok();
	reply_int("retval", opts.retval);
	reply_int("duration", opts.duration);
	if (data_out)
		reply_hex("dataOut", data_out, opts.data_size_out);
	if (ctx_out)
		reply_hex("ctxOut", ctx_out, opts.ctx_size_out);
	reply_int("cpu", pinned_cpu);
	status = 0;
done:
	free(data_out);
	free(ctx_out);
	errno = err;
	return status;
}

void op_load(const struct load_req *q)
{
	struct load_result res;
	load_program(q, &res);
	if (res.fd >= 0) {
		reply_ok();
		reply_int("fd", res.fd);
		add_prog_info(reply, res.fd);
		if (res.logged)
			reply_str("log", res.log);
	} else {
		reply_error("BPF_PROG_LOAD failed", res.err);
		if (res.log)
			reply_str("log", res.log);
	}
	free(res.log);
}

void op_test_run(struct run_req *q)
{
	if (run_program(q) < 0)
		reply_error("BPF_PROG_TEST_RUN failed", errno);
}
