/* fuzz_nvidia_rim.c — RIM (SWID tag XML) parsing, XML-DSig verification with xmlsec1, content parsing. */
#include "vf_nvidia.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Failures are clean errors; the fuzzer only looks for crashes and sanitizer reports. */
static void fuzz_ignore(struct tc_result r)
{
	(void)r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vf_rim rim;
	struct vf_rim_doc *doc = NULL;

	if (!tc_is_ok(vf_rim_doc_parse(data, size, &doc)))
		return 0;
	fuzz_ignore(vf_rim_verify_signature(doc));
	fuzz_ignore(vf_rim_content(doc, &rim)); /* content of unsigned input too: the parser must hold */
	vf_rim_doc_free(&doc);
	return 0;
}
