/* libFuzzer harness for summit-bpf's request parser: every input is one request line, parsed
 * (json-c, then every op's fields, hex and the compact map/fill strings) and freed. Built with
 * AddressSanitizer and UndefinedBehaviorSanitizer by fuzz/build.sh; parsing makes no system calls. */
#include <stddef.h>
#include <stdint.h>

#include "../request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct request req;
	char err[256];
	request_parse((const char *)data, size, &req, err, sizeof(err));
	request_free(&req);
	return 0;
}
