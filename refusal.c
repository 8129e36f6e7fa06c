/*-------------------------------------------------------------------------
 *
 * refusal.c
 *		The quota error: its message, detail and SQLSTATE, and the counting
 *		of refusals.
 *
 * diskquota_report_rejected() is the one place the quota errors are
 * raised, by the checks before a statement starts and by the stops while
 * it runs (enforcement.c), and by statements that stop themselves
 * (selfcharge.c).  The error is SQLSTATE 53100 (disk_full); its primary
 * message names the target, its detail the usage and the quota as the
 * worker last published them with what running statements charged since,
 * or the soft limit whose grace period expired.  While the database is
 * stale, a target with a quota is refused with an error that says that
 * diskquota cannot enforce quotas there (report_stale).  Each refusal is
 * counted for the target's events (diskquota_count_refusal, quotamap.c).
 * The names and sizes the messages print are also those of the grace
 * notice (enforcement.c).
 *
 * This file owns no shared state: it reads the quota map (quotamap.c) and
 * the staleness of the database (registry.c), under their locks.
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		refusal.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_tablespace.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "diskquota_common.h"
#include "registry.h"
#include "quotamap.h"
#include "refusal.h"

/* Name of a tablespace by the syscache ("?" if it is gone) */
char	   *
diskquota_refusal_tablespace_name(Oid spcoid)
{
	HeapTuple	tuple = SearchSysCache1(TABLESPACEOID, ObjectIdGetDatum(spcoid));
	char	   *name;

	if (!HeapTupleIsValid(tuple))
		return "?";
	name = pstrdup(NameStr(((Form_pg_tablespace) GETSTRUCT(tuple))->spcname));
	ReleaseSysCache(tuple);
	return name;
}

/*
 * The detail of the error for a stale database: since when its usage is
 * unknown (never published: DQ_STALE_UNKNOWN), what keeps its worker
 * (DQ_STALE_WHY_*, registry.h) and what is refused.  Whole sentences, one
 * per case.
 */
static int
errdetail_stale(int staleness, int why, TimestampTz since)
{
	const char *when = timestamptz_to_str(since);

	if (staleness == DQ_STALE_UNKNOWN)
	{
		switch (why)
		{
			case DQ_STALE_WHY_BLOCKED:
				return errdetail("Its usage has not been refreshed since diskquota began to monitor it, because the refresh waits for a lock, so every load is refused.");
			case DQ_STALE_WHY_HELD:
				return errdetail("Its usage has not been refreshed since diskquota began to monitor it, because a command on the database holds its worker off, so every load is refused.");
			case DQ_STALE_WHY_NO_WORKER_SLOT:
				return errdetail("Its usage has not been refreshed since diskquota began to monitor it, because no background worker slot is free for its worker, so every load is refused.");
			case DQ_STALE_WHY_NOT_RUNNING:
				return errdetail("Its usage has not been refreshed since diskquota began to monitor it, because its worker is not running, so every load is refused.");
			default:
				return errdetail("Its usage has not been refreshed since diskquota began to monitor it, because its worker has not completed a refresh, so every load is refused.");
		}
	}
	switch (why)
	{
		case DQ_STALE_WHY_BLOCKED:
			return errdetail("Its usage has not been refreshed since %s, because the refresh waits for a lock, so loads into targets with a quota are refused.", when);
		case DQ_STALE_WHY_HELD:
			return errdetail("Its usage has not been refreshed since %s, because a command on the database holds its worker off, so loads into targets with a quota are refused.", when);
		case DQ_STALE_WHY_NO_WORKER_SLOT:
			return errdetail("Its usage has not been refreshed since %s, because no background worker slot is free for its worker, so loads into targets with a quota are refused.", when);
		case DQ_STALE_WHY_NOT_RUNNING:
			return errdetail("Its usage has not been refreshed since %s, because its worker is not running, so loads into targets with a quota are refused.", when);
		default:
			return errdetail("Its usage has not been refreshed since %s, because its worker has not completed a refresh, so loads into targets with a quota are refused.", when);
	}
}

/*
 * The database is stale (its worker has not refreshed for DQ_STALE_MS,
 * registry.h): a target with a quota is refused for that, unless the map
 * says it is over its quota anyway (the quota's own message then).
 */
static void
report_stale(const DiskquotaTarget *target)
{
	TimestampTz since;
	int			why;
	DiskquotaQuotaInfo info;
	int			staleness;

	if (!diskquota_any_stale())
		return;
	staleness = diskquota_database_staleness(MyDatabaseId, &since, &why);
	if (staleness == DQ_FRESH ||
		(staleness == DQ_STALE &&
		 diskquota_target_info(MyDatabaseId, target, &info) && info.rejected))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_DISK_FULL),
			 errmsg("diskquota cannot enforce quotas in database \"%s\"",
					get_database_name(MyDatabaseId)),
			 errdetail_stale(staleness, why, since),
			 errhint("See diskquota.status().")));
}

/* The name of a quota's target, for messages; "?" if it is gone */
char	   *
diskquota_refusal_target_name(const DiskquotaTarget *target)
{
	char	   *name;

	switch ((DiskquotaQuotaType) target->type)
	{
		case DQ_SCHEMA_QUOTA:
		case DQ_SCHEMA_TABLESPACE_QUOTA:
			name = get_namespace_name(target->oid);
			break;
		case DQ_ROLE_QUOTA:
		case DQ_ROLE_TABLESPACE_QUOTA:
			name = GetUserNameFromId(target->oid, true);
			break;
		default:
			name = get_database_name(target->oid);
			break;
	}
	return name != NULL ? name : "?";
}

/* A size as pg_size_pretty() prints it: "12 MB" */
char	   *
diskquota_refusal_size_pretty(int64 bytes)
{
	return text_to_cstring(DatumGetTextPP(DirectFunctionCall1(pg_size_pretty,
															  Int64GetDatum(bytes))));
}

/*
 * The detail of a quota error: the usage and the quota as the worker last
 * published them, the usage with what running statements charged since
 * (none if the target has no entry in the quota map).  When they charged
 * anything, both parts are named (refreshed, charged): the refresh may
 * have counted some of what was charged, so the sum is an upper bound.  A
 * target still under its quota is refused for what the statement would
 * add (a move, a rebuild that grows).
 */
static int
errdetail_usage(const char *used, const char *quota, bool over,
				const char *refreshed, const char *charged,
				const DiskquotaQuotaInfo *soft)
{
	if (soft != NULL)
		return errdetail("Usage is %s, above a soft limit of %s whose grace period expired at %s.",
						 diskquota_refusal_size_pretty(soft->used_bytes),
						 diskquota_refusal_size_pretty(soft->policy.soft_bytes),
						 timestamptz_to_str(soft->policy.grace_expires_at));
	if (used == NULL)
		return 0;
	if (charged != NULL)
		return errdetail("Usage is up to %s of a %s quota: %s at the last refresh and %s written since by running statements.",
						 used, quota, refreshed, charged);
	if (over)
		return errdetail("Usage is %s of a %s quota.", used, quota);
	return errdetail("Usage is %s of a %s quota, which the statement would exceed.",
					 used, quota);
}

/*
 * Refuse a load into a target that is over its quota (or that the load
 * would take over it): the one place the quota errors are raised.  kind
 * says whether the statement is refused before it started or stopped
 * while it runs; each is counted for the target's events.
 */
void
diskquota_report_rejected(const DiskquotaTarget *target, DiskquotaRefusalKind kind)
{
	char	   *name;
	DiskquotaQuotaInfo info;
	int64		quota_bytes;
	int64		used_bytes;
	char	   *used = NULL;
	char	   *quota = NULL;
	char	   *refreshed = NULL;
	char	   *charged_since = NULL;
	bool		over = false;
	DiskquotaQuotaInfo *soft = NULL;

	report_stale(target);
	/* for the events write_denied and load_stopped (events.c) */
	diskquota_count_refusal(MyDatabaseId, target, kind);

	name = diskquota_refusal_target_name(target);
	if (diskquota_target_info(MyDatabaseId, target, &info) &&
		info.policy.state == DQ_STATE_GRACE_EXPIRED && info.rejected)
		soft = &info;
	else if (diskquota_target_usage(MyDatabaseId, target, &quota_bytes, &used_bytes) &&
			 quota_bytes >= 0 && used_bytes >= 0)
	{
		/* with what running statements wrote since (diskquota.self_charge) */
		int64		charged = diskquota_target_charged(MyDatabaseId, target);

		if (charged > 0)
		{
			refreshed = diskquota_refusal_size_pretty(used_bytes);
			charged_since = diskquota_refusal_size_pretty(charged);
		}
		used_bytes += charged;
		used = diskquota_refusal_size_pretty(used_bytes);
		quota = diskquota_refusal_size_pretty(quota_bytes);
		over = used_bytes >= quota_bytes;
	}

	/*
	 * The primary messages below are diskquota's interface: existing users
	 * and their scripts match on their exact text (and on SQLSTATE 53100).
	 * Keep them as they are, although they do not follow PostgreSQL's style;
	 * say more in the detail and the hint only.
	 */
	switch ((DiskquotaQuotaType) target->type)
	{
		case DQ_SCHEMA_QUOTA:
			ereport(ERROR,
					(errcode(ERRCODE_DISK_FULL),
					 errmsg("schema's disk space quota exceeded with name: %s", name),
					 errdetail_usage(used, quota, over, refreshed, charged_since, soft),
					 errhint("See view diskquota.show_schema_quota_view.")));
			break;
		case DQ_ROLE_QUOTA:
			ereport(ERROR,
					(errcode(ERRCODE_DISK_FULL),
					 errmsg("role's disk space quota exceeded with name: %s", name),
					 errdetail_usage(used, quota, over, refreshed, charged_since, soft),
					 errhint("See view diskquota.show_role_quota_view.")));
			break;
		case DQ_SCHEMA_TABLESPACE_QUOTA:
			ereport(ERROR,
					(errcode(ERRCODE_DISK_FULL),
					 errmsg("tablespace: %s, schema: %s diskquota exceeded",
							diskquota_refusal_tablespace_name(target->spcoid), name),
					 errdetail_usage(used, quota, over, refreshed, charged_since, soft),
					 errhint("See view diskquota.show_schema_tablespace_quota_view.")));
			break;
		case DQ_ROLE_TABLESPACE_QUOTA:
			ereport(ERROR,
					(errcode(ERRCODE_DISK_FULL),
					 errmsg("tablespace: %s, role: %s diskquota exceeded",
							diskquota_refusal_tablespace_name(target->spcoid), name),
					 errdetail_usage(used, quota, over, refreshed, charged_since, soft),
					 errhint("See view diskquota.show_role_tablespace_quota_view.")));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_DISK_FULL),
					 errmsg("database's disk space quota exceeded with name: %s", name),
					 errdetail_usage(used, quota, over, refreshed, charged_since, soft),
					 errhint("See view diskquota.show_database_quota_view.")));
			break;
	}
}
