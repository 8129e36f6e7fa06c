/*-------------------------------------------------------------------------
 *
 * selfservice.c
 *		What tenants see of their own quotas and events, and their
 *		requests for more space.
 *
 * A target is a role's own when it is the role or a role it is a member
 * of, a schema it owns (or a role it has the privileges of owns), or the
 * current database (whose quota everyone in it shares).  Superusers own
 * every target.  my_quota_policies() and the views my_quotas and
 * my_events show a role its own targets only; the role is the one calling
 * (GetUserId()), so these functions are never SECURITY DEFINER.
 *
 * This file owns no shared state: it reads the quota map (quotamap.c).
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		selfservice.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_namespace.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/syscache.h"

#include "diskquota_common.h"
#include "quotamap.h"
#include "selfservice.h"

/*
 * Is this target the current role's own (see the header comment)?  A
 * schema that no longer exists is nobody's but the superusers'.
 */
bool
diskquota_target_is_mine(const DiskquotaTarget *target)
{
	Oid			roleid = GetUserId();

	switch ((DiskquotaQuotaType) target->type)
	{
		case DQ_SCHEMA_QUOTA:
		case DQ_SCHEMA_TABLESPACE_QUOTA:
			{
				HeapTuple	tuple = SearchSysCache1(NAMESPACEOID,
													ObjectIdGetDatum(target->oid));
				Oid			owner;

				if (!HeapTupleIsValid(tuple))
					return superuser_arg(roleid);
				owner = ((Form_pg_namespace) GETSTRUCT(tuple))->nspowner;
				ReleaseSysCache(tuple);
				return has_privs_of_role(roleid, owner);
			}
		case DQ_ROLE_QUOTA:
		case DQ_ROLE_TABLESPACE_QUOTA:
			return is_member_of_role(roleid, target->oid);
		case DQ_DATABASE_QUOTA:
			return target->oid == MyDatabaseId;
		default:
			return false;
	}
}
