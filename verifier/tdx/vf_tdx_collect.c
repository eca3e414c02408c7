/*
 * vf_tdx_collect.c — TDX evidence on a TD without configfs-tsm: the /dev/tdx_guest ioctl TDX_CMD_GET_REPORT0
 * (include/uapi/linux/tdx-guest.h, struct tdx_report_req). It returns a TDREPORT: 1024 bytes MAC'd with a
 * key only this CPU knows. It is NOT a quote: nobody else can verify it. Turning it into a quote needs the
 * quoting enclave on the host (QGS), which the kernel reaches through configfs-tsm (vf_tsm.c); this fallback
 * exists so a TD without that path can still show its measurements and say plainly what is missing.
 * Also: the report-data check of a collected quote (verifier/tdx's parser).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vf_collect.h"
#include "vf_tdx.h"
#include "vf_tsm.h"

unsigned long vf_tdx_get_report0_cmd(void)
{
	return (unsigned long)_IOWR(VF_TDX_GUEST_IOC_TYPE, VF_TDX_GUEST_IOC_GET_REPORT0, struct vf_tdx_report_req);
}

void vf_tdx_report_req_init(struct vf_tdx_report_req *req, const uint8_t report_data[VF_REPORT_DATA_LEN])
{
	memset(req, 0, sizeof(*req));
	memcpy(req->reportdata, report_data, VF_TDX_GUEST_REPORTDATA_LEN);
}

TC_RESULT vf_tdx_tdreport_check(const uint8_t *tdreport, size_t len, const uint8_t report_data[VF_REPORT_DATA_LEN])
{
	struct tc_cursor c;
	uint8_t type;
	const uint8_t *rd;

	tc_cursor_init(&c, tdreport, len);
	TC_ENSURE(len == VF_TDX_GUEST_TDREPORT_LEN, TC_ERR_EVIDENCE_MALFORMED, "TDREPORT: %zu bytes, expected %d", len,
		  VF_TDX_GUEST_TDREPORT_LEN);
	TC_GUARD(tc_cursor_u8(&c, &type));
	TC_ENSURE(type == VF_TDX_TDREPORT_TYPE_TDX, TC_ERR_EVIDENCE_MALFORMED,
		  "TDREPORT: REPORTTYPE.TYPE is 0x%02x, expected 0x%02x (TDX)", type, VF_TDX_TDREPORT_TYPE_TDX);
	TC_GUARD(tc_cursor_skip(&c, VF_TDX_TDREPORT_REPORTDATA_OFFSET - 1));
	TC_GUARD(tc_cursor_view(&c, VF_TDX_GUEST_REPORTDATA_LEN, &rd));
	TC_ENSURE(memcmp(rd, report_data, VF_TDX_GUEST_REPORTDATA_LEN) == 0, TC_ERR_NONCE_MISMATCH,
		  "TDREPORT: REPORTDATA differs from the report data requested");
	return tc_ok();
}

TC_RESULT vf_tdx_quote_check_report_data(const uint8_t *quote, size_t len,
					 const uint8_t report_data[VF_REPORT_DATA_LEN])
{
	struct vf_tdx_quote q;
	struct tc_result r = vf_tdx_quote_parse(quote, len, &q);

	TC_ENSURE(tc_is_ok(r), r.code, "the outblob is not a TDX quote this verifier reads: %s", tc_error_detail());
	TC_ENSURE(memcmp(q.report.report_data, report_data, VF_TDX_REPORT_DATA_LEN) == 0, TC_ERR_NONCE_MISMATCH,
		  "the quote's REPORTDATA differs from the report data requested (another writer's request?)");
	return tc_ok();
}

TC_RESULT vf_tdx_collect_tdreport(const char *device, const uint8_t report_data[VF_REPORT_DATA_LEN], bool *present,
				  struct tc_buf *out)
{
	struct vf_tdx_report_req req;
	int fd, err;
	struct tc_result r;

	*present = false;
	if (!device)
		device = VF_TDX_GUEST_DEVICE;
	fd = open(device, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		*present = !(err == ENOENT || err == ENODEV || err == ENXIO || err == ENOTDIR);
		return tc_fail(*present ? TC_ERR_IO : TC_ERR_UNSUPPORTED, "%s: %s%s%s", device, strerror(err),
			       *present && *vf_tsm_errno_hint(err) ? "; " : "", *present ? vf_tsm_errno_hint(err) : "");
	}
	*present = true;
	vf_tdx_report_req_init(&req, report_data);
	if (ioctl(fd, vf_tdx_get_report0_cmd(), &req) != 0) {
		err = errno;
		close(fd);
		return tc_fail(TC_ERR_IO, "%s: TDX_CMD_GET_REPORT0 failed: %s%s%s", device, strerror(err),
			       *vf_tsm_errno_hint(err) ? "; " : "", vf_tsm_errno_hint(err));
	}
	close(fd);
	r = vf_tdx_tdreport_check(req.tdreport, sizeof(req.tdreport), report_data);
	if (tc_is_ok(r))
		r = tc_buf_append(out, req.tdreport, sizeof(req.tdreport));
	return r;
}
