/* summit-bpf: "kernelBtf": the running kernel's own BTF (/sys/kernel/btf/vmlinux, nothing else),
 * so that a caller on the other side of a serial line (the kernel-check VM) can type attach
 * targets as this kernel does. The bytes are zlib-compressed before hex encoding (BTF shrinks to
 * about a third). Reply: btf (hex of the zlib stream), size (uncompressed bytes), release
 * (uname -r). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <zlib.h>

#include "helper.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"
#define BTF_SIZE_MAX (256u << 20)

/* Reads the whole file (sysfs sizes can be approximate, so read to end of file). */
static uint8_t *read_all(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 1 << 20, n = 0;
	uint8_t *buf = malloc(cap);
	while (buf) {
		if (n == cap) {
			uint8_t *grown = cap < BTF_SIZE_MAX ? realloc(buf, cap * 2) : NULL;
			if (!grown) {
				free(buf);
				buf = NULL;
				errno = ENOMEM;
				break;
			}
			buf = grown;
			cap *= 2;
		}
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0) {
			free(buf);
			buf = NULL;
		} else if (got == 0)
			break;
		else
			n += (size_t)got;
	}
	int saved = errno;
	close(fd);
	errno = saved;
	*len = n;
	return buf;
}

void op_kernel_btf(void)
{
	size_t len = 0;
	uint8_t *raw = read_all(VMLINUX_BTF, &len);
	if (!raw) {
		reply_error("cannot read " VMLINUX_BTF, errno ? errno : EIO);
		return;
	}
	uLongf packed_len = compressBound((uLong)len);
	uint8_t *packed = malloc(packed_len);
	if (!packed || compress2(packed, &packed_len, raw, (uLong)len, Z_BEST_SPEED) != Z_OK) {
		free(packed);
		free(raw);
		reply_error("cannot compress the BTF", ENOMEM);
		return;
	}
	free(raw);
	struct utsname u;
	reply_ok();
	reply_hex("btf", packed, packed_len);
	free(packed);
	reply_int("size", (int64_t)len);
	if (uname(&u) == 0)
		reply_str("release", u.release);
}
