/*
 * libbpf-load: the corpus benchmark's reference loader. Loads programs of a BPF object exactly as
 * libbpf (and so bpftool) would, one program at a time, and prints one JSON line per program.
 *
 *   libbpf-load OBJ                 lists the programs: name, section, type, attach type, insns
 *   libbpf-load OBJ PROG [TYPE]     loads only PROG; TYPE > 0 is a bpf_prog_type number that
 *                                   overrides the one libbpf guessed from the section name,
 *                                   TYPE < 0 gives -TYPE only when libbpf guessed none (legacy
 *                                   section names the old loaders knew, like `socket1`)
 *
 * Map pinning is switched off (nothing is left in bpffs); everything is closed before exit.
 * Exit 0 when the answer was printed (whatever it says), 2 on bad usage.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* Everything libbpf prints while the current object is open (warnings, verifier logs). */
static char *said;
static size_t said_len, said_cap;

static int capture(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	char line[4096];
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(line, sizeof line, fmt, copy);
	va_end(copy);
	if (n < 0)
		return 0;
	size_t len = (size_t)n;
	char *big = NULL;
	if (len >= sizeof line) {
		big = malloc(len + 1);
		if (big == NULL)
			return 0;
		vsnprintf(big, len + 1, fmt, ap);
	}
	if (said_len + len + 1 > said_cap) {
		size_t cap = (said_cap == 0 ? 65536 : said_cap);
		while (said_len + len + 1 > cap)
			cap *= 2;
		char *grown = realloc(said, cap);
		if (grown == NULL) {
			free(big);
			return 0;
		}
		said = grown;
		said_cap = cap;
	}
	memcpy(said + said_len, big != NULL ? big : line, len);
	said_len += len;
	said[said_len] = '\0';
	free(big);
	return 0;
}

static void json_string(const char *s, size_t len)
{
	putchar('"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* The last `keep` bytes of what libbpf said (verifier logs end with the reason). */
static void json_said_tail(size_t keep)
{
	size_t from = said_len > keep ? said_len - keep : 0;
	json_string(said != NULL ? said + from : "", said_len - from);
}

static struct bpf_object *open_object(const char *path)
{
	said_len = 0;
	if (said != NULL)
		said[0] = '\0';
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	if (obj == NULL)
		return NULL;
	struct bpf_map *map;
	bpf_object__for_each_map(map, obj) bpf_map__set_pin_path(map, NULL);
	return obj;
}

/* The answer when libbpf cannot open the object (errno `err`); returns 0. */
static int print_open_failure(int err)
{
	printf("{\"ok\":false,\"stage\":\"open\",\"errno\":%d,\"said\":", err);
	json_said_tail(4000);
	puts("}");
	return 0;
}

static int list_programs(const char *path)
{
	struct bpf_object *obj = open_object(path);
	if (obj == NULL)
		return print_open_failure(errno);
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj)
	{
		printf("{\"ok\":true,\"name\":");
		json_string(bpf_program__name(prog), strlen(bpf_program__name(prog)));
		printf(",\"section\":");
		json_string(bpf_program__section_name(prog), strlen(bpf_program__section_name(prog)));
		printf(",\"type\":%d,\"attachType\":%d,\"insns\":%zu,\"autoload\":%s}\n",
		       (int)bpf_program__type(prog), (int)bpf_program__expected_attach_type(prog),
		       bpf_program__insn_cnt(prog), bpf_program__autoload(prog) ? "true" : "false");
	}
	bpf_object__close(obj);
	return 0;
}

static int load_one(const char *path, const char *name, int type)
{
	struct bpf_object *obj = open_object(path);
	if (obj == NULL)
		return print_open_failure(errno);
	struct bpf_program *prog, *target = NULL;
	bpf_object__for_each_program(prog, obj)
	{
		if (strcmp(bpf_program__name(prog), name) == 0)
			target = prog;
		else
			bpf_program__set_autoload(prog, false);
	}
	if (target == NULL) {
		char msg[512];
		snprintf(msg, sizeof msg, "libbpf finds no program named '%s' (objects without function symbols have none)", name);
		printf("{\"ok\":false,\"stage\":\"open\",\"errno\":%d,\"said\":", ENOENT);
		json_string(msg, strlen(msg));
		puts("}");
		bpf_object__close(obj);
		return 0;
	}
	bpf_program__set_autoload(target, true);
	if (type > 0 || (type < 0 && bpf_program__type(target) == BPF_PROG_TYPE_UNSPEC))
		bpf_program__set_type(target, (enum bpf_prog_type)(type > 0 ? type : -type));
	int err = bpf_object__load(obj);
	if (err != 0) {
		printf("{\"ok\":false,\"stage\":\"load\",\"errno\":%d,\"type\":%d,\"said\":", -err,
		       (int)bpf_program__type(target));
		json_said_tail(6000);
		puts("}");
		bpf_object__close(obj);
		return 0;
	}
	struct bpf_prog_info info;
	__u32 len = sizeof info;
	memset(&info, 0, sizeof info);
	int fd = bpf_program__fd(target);
	unsigned verified = 0, xlated = 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
		verified = info.verified_insns;
		xlated = info.xlated_prog_len / 8;
	}
	printf("{\"ok\":true,\"stage\":\"load\",\"type\":%d,\"attachType\":%d,\"verifiedInsns\":%u,"
	       "\"xlatedInsns\":%u}\n",
	       (int)bpf_program__type(target), (int)bpf_program__expected_attach_type(target),
	       verified, xlated);
	bpf_object__close(obj);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: %s OBJ [PROG [TYPE]]\n", argv[0]);
		return 2;
	}
	libbpf_set_print(capture);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	int rc = argc == 2 ? list_programs(argv[1])
			   : load_one(argv[1], argv[2], argc == 4 ? atoi(argv[3]) : 0);
	fflush(stdout);
	free(said);
	return rc;
}
