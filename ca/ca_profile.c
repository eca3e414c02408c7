/*
 * ca_profile.c — the four certificate profiles of DESIGN.md "Certificates" (table in docs/ca.md):
 *   root      self-signed CA, keyCertSign+cRLSign, no pathLenConstraint unless configured, 20 years
 *   subroot   CA issued by the root after appraising the sub-CA's evidence, pathLenConstraint 0, 5 years
 *   cvm       end entity, digitalSignature (+keyEncipherment for RSA), serverAuth+clientAuth, 7 days, DNS/IP SANs
 *   workload  end entity bound to the CVM certificate (validity within it) and to workload_info_hash
 */
#include "ca_internal.h"

#include <string.h>

#define CA_DAY ((int64_t)24 * 3600)

void ca_profile_default(enum ca_role role, struct ca_profile *out)
{
	memset(out, 0, sizeof(*out));
	out->role = role;
	out->path_len = -1;
	switch (role) {
	case CA_ROLE_ROOT:
		out->validity_s = 20 * 365 * CA_DAY;
		break;
	case CA_ROLE_SUBROOT:
		out->validity_s = 5 * 365 * CA_DAY;
		out->path_len = 0;
		break;
	case CA_ROLE_CVM:
		out->validity_s = 7 * CA_DAY;
		out->allow_dns = out->allow_ip = true;
		break;
	case CA_ROLE_WORKLOAD:
		out->validity_s = 7 * CA_DAY;
		out->allow_dns = out->allow_ip = out->allow_uri = true;
		break;
	}
}

TC_RESULT ca_profile_check(const struct ca_profile *p)
{
	bool is_ca = p->role == CA_ROLE_ROOT || p->role == CA_ROLE_SUBROOT;

	TC_ENSURE((unsigned)p->role <= CA_ROLE_WORKLOAD, TC_ERR_PROFILE_VIOLATION, "unknown profile %d", (int)p->role);
	TC_ENSURE(p->validity_s > 0 && p->validity_s <= 30 * 365 * CA_DAY, TC_ERR_PROFILE_VIOLATION,
		  "validity of %lld s is outside 1 s .. 30 years", (long long)p->validity_s);
	TC_ENSURE(is_ca || p->path_len == -1, TC_ERR_PROFILE_VIOLATION,
		  "%s certificates are end entities; pathLenConstraint is for CAs (RFC 5280 §4.2.1.9)",
		  ca_role_name(p->role));
	TC_ENSURE(p->role != CA_ROLE_SUBROOT || p->path_len == 0, TC_ERR_PROFILE_VIOLATION,
		  "subroot certificates have pathLenConstraint 0");
	TC_ENSURE(p->path_len >= -1 && p->path_len <= 8, TC_ERR_PROFILE_VIOLATION, "pathLenConstraint %d", p->path_len);
	TC_ENSURE(!is_ca || (!p->allow_dns && !p->allow_ip && !p->allow_uri), TC_ERR_PROFILE_VIOLATION,
		  "CA profiles take no subject alternative names");
	TC_ENSURE(p->role != CA_ROLE_CVM || !p->allow_uri, TC_ERR_PROFILE_VIOLATION,
		  "cvm certificates carry DNS and IP names only");
	return tc_ok();
}
