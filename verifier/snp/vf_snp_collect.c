/*
 * vf_snp_collect.c — SEV-SNP evidence through /dev/sev-guest when configfs-tsm is absent: the ioctl
 * SNP_GET_EXT_REPORT (include/uapi/linux/sev-guest.h: struct snp_guest_request_ioctl, snp_ext_report_req) and
 * the certificate table the host attaches (GHCB specification, "SNP Extended Guest Request": entries
 * {GUID, offset, length} ending with an all-zero entry). The same table is configfs-tsm's auxblob, so its
 * parser serves both paths.
 *
 * GUIDs (GHCB spec): VCEK 63da758d-e664-4564-adc5-f4b93be8accd, VLEK a8074bc2-a25a-483e-aae6-39c045a0b8a1,
 * ASK 4ab7b379-bbac-4fe4-a02f-05aef327c782, ARK c0b406a4-a803-4952-9743-3fb6014cd0ae. AMD's tools write them
 * in RFC 4122 byte order (uuid_parse); some hosts write the mixed-endian (EFI GUID) form, accepted too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "vf_collect.h"
#include "vf_internal.h"
#include "vf_snp.h"
#include "vf_tsm.h"

static const struct {
	enum vf_snp_cert_kind kind;
	uint8_t guid[VF_SNP_GUID_LEN]; /* RFC 4122 byte order */
} vf_snp_guids[] = {
	{ VF_SNP_CERT_VCEK,
	  { 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd } },
	{ VF_SNP_CERT_VLEK,
	  { 0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e, 0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8, 0xa1 } },
	{ VF_SNP_CERT_ASK,
	  { 0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4, 0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82 } },
	{ VF_SNP_CERT_ARK,
	  { 0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52, 0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae } },
};

const char *vf_snp_cert_kind_name(enum vf_snp_cert_kind kind)
{
	static const char *const names[] = { "vcek", "vlek", "ask", "ark", "other" };

	return (unsigned)kind <= VF_SNP_CERT_OTHER ? names[kind] : "other";
}

/* RFC 4122 order -> mixed-endian (first three fields little-endian), as EFI_GUID stores them. */
static void guid_mixed(const uint8_t in[VF_SNP_GUID_LEN], uint8_t out[VF_SNP_GUID_LEN])
{
	static const uint8_t order[VF_SNP_GUID_LEN] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };

	for (size_t i = 0; i < VF_SNP_GUID_LEN; i++)
		out[i] = in[order[i]];
}

static enum vf_snp_cert_kind guid_kind(const uint8_t guid[VF_SNP_GUID_LEN])
{
	uint8_t mixed[VF_SNP_GUID_LEN];

	for (size_t i = 0; i < sizeof(vf_snp_guids) / sizeof(vf_snp_guids[0]); i++) {
		guid_mixed(vf_snp_guids[i].guid, mixed);
		if (memcmp(guid, vf_snp_guids[i].guid, VF_SNP_GUID_LEN) == 0 ||
		    memcmp(guid, mixed, VF_SNP_GUID_LEN) == 0)
			return vf_snp_guids[i].kind;
	}
	return VF_SNP_CERT_OTHER;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

TC_RESULT vf_snp_cert_table_parse(const uint8_t *buf, size_t len, struct vf_snp_cert_table *out)
{
	struct vf_snp_cert_table t;
	struct tc_cursor c;

	memset(&t, 0, sizeof(t));
	if (len == 0 || all_zero(buf, len)) {
		*out = t;
		return tc_ok();
	}
	tc_cursor_init(&c, buf, len);
	for (;;) {
		uint8_t guid[VF_SNP_GUID_LEN];
		uint32_t off, n;
		struct vf_snp_cert_entry *e;

		TC_ENSURE(tc_is_ok(tc_cursor_copy(&c, guid, sizeof(guid))) && tc_is_ok(tc_cursor_u32le(&c, &off)) &&
				  tc_is_ok(tc_cursor_u32le(&c, &n)),
			  TC_ERR_EVIDENCE_MALFORMED,
			  "SNP certificate table: no all-zero terminator entry within %zu bytes", len);
		if (all_zero(guid, sizeof(guid)) && off == 0 && n == 0)
			break;
		TC_ENSURE(t.n < VF_SNP_CERT_TABLE_MAX, TC_ERR_EVIDENCE_MALFORMED,
			  "SNP certificate table: more than %d entries", VF_SNP_CERT_TABLE_MAX);
		TC_ENSURE(n > 0 && (size_t)off <= len && (size_t)n <= len - off, TC_ERR_EVIDENCE_MALFORMED,
			  "SNP certificate table: entry %zu (offset %u, length %u) lies outside the %zu-byte buffer",
			  t.n, off, n, len);
		e = &t.entries[t.n++];
		memcpy(e->guid, guid, sizeof(guid));
		e->kind = guid_kind(guid);
		e->data = buf + off;
		e->len = n;
		if ((size_t)off + n > t.extent)
			t.extent = (size_t)off + n;
	}
	for (size_t i = 0; i < t.n; i++)
		TC_ENSURE((const uint8_t *)t.entries[i].data >= buf + tc_cursor_pos(&c), TC_ERR_EVIDENCE_MALFORMED,
			  "SNP certificate table: entry %zu points into the table itself", i);
	if (tc_cursor_pos(&c) > t.extent)
		t.extent = tc_cursor_pos(&c);
	*out = t;
	return tc_ok();
}

/* Append CERT (DER or PEM in the table) to OUT as PEM. */
static TC_RESULT append_pem(const struct vf_snp_cert_entry *e, struct tc_buf *out)
{
	X509 *x = NULL;
	BIO *bio = NULL;
	char *mem = NULL;
	long mem_len;
	struct tc_result r;

	TC_GUARD(vf_x509_parse(e->data, e->len, TC_ERR_EVIDENCE_MALFORMED, &x));
	bio = BIO_new(BIO_s_mem());
	TC_ENSURE_GOTO(r, bio && PEM_write_bio_X509(bio, x) == 1, out, TC_ERR_CRYPTO, "writing the %s as PEM failed",
		       vf_snp_cert_kind_name(e->kind));
	mem_len = BIO_get_mem_data(bio, &mem);
	r = tc_buf_append(out, mem, (size_t)mem_len);
out:
	tc_openssl_clear();
	BIO_free(bio);
	X509_free(x);
	return r;
}

/* Append the endorsement key certificate as DER (converting a PEM entry). */
static TC_RESULT append_der(const struct vf_snp_cert_entry *e, struct tc_buf *out)
{
	X509 *x = NULL;
	unsigned char *der = NULL;
	int n;
	struct tc_result r;

	TC_GUARD(vf_x509_parse(e->data, e->len, TC_ERR_EVIDENCE_MALFORMED, &x));
	n = i2d_X509(x, &der);
	X509_free(x);
	TC_ENSURE(n > 0, TC_ERR_CRYPTO, "encoding the %s as DER failed", vf_snp_cert_kind_name(e->kind));
	r = tc_buf_append(out, der, (size_t)n);
	OPENSSL_free(der);
	return r;
}

static const struct vf_snp_cert_entry *table_find(const struct vf_snp_cert_table *t, enum vf_snp_cert_kind kind)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->entries[i].kind == kind)
			return &t->entries[i];
	return NULL;
}

TC_RESULT vf_snp_cert_table_split(const struct vf_snp_cert_table *table, struct vf_cpu_evidence *ev)
{
	const struct vf_snp_cert_entry *vcek = table_find(table, VF_SNP_CERT_VCEK);
	const struct vf_snp_cert_entry *vlek = table_find(table, VF_SNP_CERT_VLEK);
	const struct vf_snp_cert_entry *ask = table_find(table, VF_SNP_CERT_ASK);
	const struct vf_snp_cert_entry *ark = table_find(table, VF_SNP_CERT_ARK);
	const struct vf_snp_cert_entry *leaf = vcek ? vcek : vlek;

	tc_buf_reset(&ev->endorsement);
	tc_buf_reset(&ev->ark_ask_chain);
	ev->is_vlek = !vcek && vlek;
	if (leaf)
		TC_GUARD(append_der(leaf, &ev->endorsement));
	/* KDS cert_chain order: ASK (or ASVK) first, then ARK — what `teecert verify` reads as ark_ask_chain. */
	if (ask)
		TC_GUARD(append_pem(ask, &ev->ark_ask_chain));
	if (ark)
		TC_GUARD(append_pem(ark, &ev->ark_ask_chain));
	return tc_ok();
}

unsigned long vf_snp_get_report_cmd(void)
{
	return (unsigned long)_IOWR(VF_SNP_GUEST_IOC_TYPE, VF_SNP_IOC_GET_REPORT, struct vf_snp_guest_request_ioctl);
}

unsigned long vf_snp_get_ext_report_cmd(void)
{
	return (unsigned long)_IOWR(VF_SNP_GUEST_IOC_TYPE, VF_SNP_IOC_GET_EXT_REPORT,
				    struct vf_snp_guest_request_ioctl);
}

void vf_snp_ext_report_req_init(struct vf_snp_ext_report_req *req, const uint8_t report_data[VF_REPORT_DATA_LEN],
				uint32_t vmpl, void *certs, uint32_t certs_len)
{
	memset(req, 0, sizeof(*req));
	memcpy(req->data.user_data, report_data, VF_SNP_USER_DATA_LEN);
	req->data.vmpl = vmpl;
	req->certs_address = (uint64_t)(uintptr_t)certs;
	req->certs_len = certs_len;
}

void vf_snp_guest_request_init(struct vf_snp_guest_request_ioctl *io, void *req, struct vf_snp_report_resp *resp)
{
	memset(io, 0, sizeof(*io));
	memset(resp, 0, sizeof(*resp));
	io->msg_version = VF_SNP_MSG_VERSION;
	io->req_data = (uint64_t)(uintptr_t)req;
	io->resp_data = (uint64_t)(uintptr_t)resp;
}

TC_RESULT vf_snp_report_resp_parse(const uint8_t *resp, size_t len, struct tc_buf *report)
{
	struct tc_cursor c;
	uint32_t status, size;
	const uint8_t *body;

	tc_cursor_init(&c, resp, len);
	TC_ENSURE(tc_is_ok(tc_cursor_u32le(&c, &status)) && tc_is_ok(tc_cursor_u32le(&c, &size)) &&
			  tc_is_ok(tc_cursor_skip(&c, VF_SNP_MSG_REPORT_RSP_HDR_LEN - 8)),
		  TC_ERR_EVIDENCE_MALFORMED, "MSG_REPORT_RSP: shorter than its 0x20-byte header");
	TC_ENSURE(status == 0, TC_ERR_IO, "MSG_REPORT_RSP: firmware status 0x%x (0x16: invalid parameters)", status);
	TC_ENSURE(size >= VF_SNP_ATT_REPORT_LEN, TC_ERR_EVIDENCE_MALFORMED,
		  "MSG_REPORT_RSP: REPORT_SIZE %u is smaller than an attestation report (%d)", size,
		  VF_SNP_ATT_REPORT_LEN);
	TC_ENSURE(tc_is_ok(tc_cursor_view(&c, size, &body)), TC_ERR_EVIDENCE_MALFORMED,
		  "MSG_REPORT_RSP: REPORT_SIZE %u exceeds the %zu-byte response", size, len);
	return tc_buf_append(report, body, size);
}

TC_RESULT vf_snp_report_check_report_data(const uint8_t *report, size_t len,
					  const uint8_t report_data[VF_REPORT_DATA_LEN])
{
	struct vf_snp_report rep;
	struct tc_result r = vf_snp_report_parse(report, len, &rep);

	TC_ENSURE(tc_is_ok(r), r.code, "not an SNP attestation report this verifier reads: %s", tc_error_detail());
	TC_ENSURE(memcmp(rep.report_data, report_data, VF_SNP_REPORT_DATA_LEN) == 0, TC_ERR_NONCE_MISMATCH,
		  "the report's REPORT_DATA differs from the report data requested (another writer's request?)");
	return tc_ok();
}

/* One SNP_GET_EXT_REPORT; *NEED receives the certificate length the host asked for on INVALID_LEN. */
static int ext_report_once(int fd, const uint8_t report_data[VF_REPORT_DATA_LEN], uint32_t vmpl, uint8_t *certs,
			   uint32_t certs_len, struct vf_snp_report_resp *resp, uint64_t *exitinfo2, uint32_t *need)
{
	struct vf_snp_ext_report_req req;
	struct vf_snp_guest_request_ioctl io;
	int rc;

	vf_snp_ext_report_req_init(&req, report_data, vmpl, certs, certs_len);
	vf_snp_guest_request_init(&io, &req, resp);
	rc = ioctl(fd, vf_snp_get_ext_report_cmd(), &io);
	*exitinfo2 = io.exitinfo2;
	*need = req.certs_len;
	return rc == 0 ? 0 : errno;
}

static TC_RESULT ioctl_error(const char *device, const char *what, int err, uint64_t exitinfo2)
{
	uint32_t fw = (uint32_t)exitinfo2, vmm = (uint32_t)(exitinfo2 >> VF_SNP_VMM_ERR_SHIFT);

	return tc_fail(TC_ERR_IO, "%s: %s failed: %s (firmware error 0x%x, VMM error 0x%x%s)%s%s", device, what,
		       strerror(err), fw, vmm, vmm == VF_SNP_VMM_ERR_BUSY ? ": host busy, retry" : "",
		       *vf_tsm_errno_hint(err) ? "; " : "", vf_tsm_errno_hint(err));
}

TC_RESULT vf_snp_collect_ext_report(const char *device, const uint8_t report_data[VF_REPORT_DATA_LEN], uint32_t vmpl,
				    bool *present, struct tc_buf *report, struct tc_buf *certs)
{
	struct vf_snp_report_resp *resp = NULL;
	uint8_t *buf = NULL;
	size_t cap = VF_SNP_CERTS_DEFAULT;
	uint64_t exitinfo2 = 0;
	uint32_t need = 0;
	struct vf_snp_cert_table table;
	int fd, err;
	struct tc_result r = tc_ok();

	*present = false;
	if (!device)
		device = VF_SEV_GUEST_DEVICE;
	fd = open(device, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		*present = !(err == ENOENT || err == ENODEV || err == ENXIO || err == ENOTDIR);
		return tc_fail(*present ? TC_ERR_IO : TC_ERR_UNSUPPORTED, "%s: %s%s%s", device, strerror(err),
			       *present && *vf_tsm_errno_hint(err) ? "; " : "", *present ? vf_tsm_errno_hint(err) : "");
	}
	*present = true;
	resp = calloc(1, sizeof(*resp));
	TC_ENSURE_GOTO(r, resp, out, TC_ERR_NO_MEMORY, "out of memory");
	for (int attempt = 0; attempt < 2; attempt++) {
		free(buf);
		buf = aligned_alloc(VF_SNP_PAGE_LEN, cap);
		TC_ENSURE_GOTO(r, buf, out, TC_ERR_NO_MEMORY, "out of memory");
		memset(buf, 0, cap);
		err = ext_report_once(fd, report_data, vmpl, buf, (uint32_t)cap, resp, &exitinfo2, &need);
		if (err == 0)
			break;
		/* The host wants a larger buffer: certs_len says how large (sev-guest.h VMM error INVALID_LEN). */
		if ((exitinfo2 >> VF_SNP_VMM_ERR_SHIFT) == VF_SNP_VMM_ERR_INVALID_LEN && need > cap &&
		    need <= VF_SNP_CERTS_MAX && attempt == 0) {
			cap = ((size_t)need + VF_SNP_PAGE_LEN - 1) / VF_SNP_PAGE_LEN * VF_SNP_PAGE_LEN;
			continue;
		}
		r = ioctl_error(device, "SNP_GET_EXT_REPORT", err, exitinfo2);
		goto out;
	}
	TC_GUARD_GOTO(r, vf_snp_report_resp_parse(resp->data, sizeof(resp->data), report), out);
	TC_GUARD_GOTO(r, vf_snp_cert_table_parse(buf, cap, &table), out);
	if (table.n > 0)
		r = tc_buf_append(certs, buf, table.extent);
out:
	close(fd);
	free(buf);
	free(resp);
	return r;
}
