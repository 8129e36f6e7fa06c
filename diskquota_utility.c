/*-------------------------------------------------------------------------
 *
 * diskquota_utility.c
 *		The SQL functions of the diskquota extension that show its state
 *		and wait for it.
 *
 * wait_for_worker_new_epoch() waits for a refresh that starts after the
 * call.  status(), quota_usage(), quota_usage_all(), quota_policies(),
 * my_quota_policies() (the caller's own targets only),
 * show_rejectmap() and show_worker_epoch() read the shared state
 * published by the launcher and the workers; relation_size() stats a
 * relation's files (for those who may SELECT from it).  status() shows a
 * role that is not a superuser only the databases it may connect to.  The
 * functions that set quotas are in quotaconfig.c.
 *
 * This file owns no shared state: it reads DiskquotaShared (registry.c)
 * under its lock and the quota map through quotamap.c.
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		diskquota_utility.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"

#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_tablespace_d.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/tablespace.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "parser/scansup.h"
#include "pgstat.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "diskquota_common.h"
#include "settings.h"
#include "relfile.h"
#include "ownobjects.h"
#include "registry.h"
#include "activetable.h"
#include "quotamap.h"
#include "policy.h"
#include "enforcement.h"
#include "selfservice.h"

/* How long wait_for_worker_new_epoch() waits for a worker to start */
#define WORKER_START_TIMEOUT_MS 10000

PG_FUNCTION_INFO_V1(diskquota_wait_for_worker_new_epoch);
PG_FUNCTION_INFO_V1(diskquota_status);
PG_FUNCTION_INFO_V1(diskquota_quota_usage);
PG_FUNCTION_INFO_V1(diskquota_show_rejectmap);
PG_FUNCTION_INFO_V1(diskquota_relation_size_sql);
PG_FUNCTION_INFO_V1(diskquota_show_worker_epoch);
PG_FUNCTION_INFO_V1(diskquota_quota_policies);
PG_FUNCTION_INFO_V1(diskquota_my_quota_policies);


/*
 * diskquota.wait_for_worker_new_epoch(): wait until the worker of this
 * database has completed a refresh that started after the call.  Returns
 * false, with a NOTICE, if no worker runs (or it stops while we wait), or
 * none completed within DQ_STALE_MS (its refreshes fail on a lock).
 */
Datum
diskquota_wait_for_worker_new_epoch(PG_FUNCTION_ARGS)
{
	DiskquotaDBSlot *slot;
	uint64		target = 0;
	int			pid = 0;
	bool		result = false;
	TimestampTz give_up;
	TimestampTz give_up_refresh;

	diskquota_require_shmem();

	if (RecoveryInProgress())
	{
		ereport(NOTICE,
				(errmsg("diskquota worker is not running for database \"%s\"",
						get_database_name(MyDatabaseId)),
				 errdetail("The server is in recovery: diskquota starts its workers when recovery ends.")));
		PG_RETURN_BOOL(false);
	}

	/*
	 * A worker that is being started (after CREATE EXTENSION, a reload or a
	 * crash) is waited for, up to WORKER_START_TIMEOUT_MS.
	 */
	give_up = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
										  WORKER_START_TIMEOUT_MS);
	for (;;)
	{
		LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
		slot = diskquota_find_db_slot(MyDatabaseId);
		LWLockRelease(DiskquotaShared->lock);

		/*
		 * A listed database that the launcher has not seen yet (created just
		 * now) gets its slot at the launcher's next round.
		 */
		if (slot != NULL || GetCurrentTimestamp() >= give_up ||
			!diskquota_database_is_monitored(get_database_name(MyDatabaseId)) ||
			diskquota_database_beyond_limit(get_database_name(MyDatabaseId)))
			break;
		diskquota_poke_launcher();
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 100, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	if (slot == NULL)
	{
		bool		listed = diskquota_database_is_monitored(get_database_name(MyDatabaseId));

		ereport(NOTICE,
				(errmsg("diskquota worker is not running for database \"%s\"",
						get_database_name(MyDatabaseId)),
				 !listed ?
				 errdetail("The database is not listed in diskquota.monitor_databases.") :
				 diskquota_database_beyond_limit(get_database_name(MyDatabaseId)) ?
				 errdetail("The other databases listed in diskquota.monitor_databases take all places that diskquota.max_databases (%d) allows.",
						   diskquota_max_databases) :
				 errdetail("The launcher has not taken up the database yet."),
				 errhint("See diskquota.status().")));
		PG_RETURN_BOOL(false);
	}

	/*
	 * A worker whose refreshes fail (a lock) is not waited for longer than it
	 * takes the database to turn stale (DQ_STALE_MS).
	 */
	give_up_refresh = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), DQ_STALE_MS);
	ConditionVariablePrepareToSleep(&slot->epoch_cv);
	for (;;)
	{
		bool		running;
		bool		done = false;
		bool		gone = false;

		LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
		running = slot->dbid == MyDatabaseId && slot->worker_pid != 0 &&
			slot->state == DQ_DB_RUNNING;
		if (running && pid == 0)
		{
			/* a refresh under way may have started before the call */
			pid = slot->worker_pid;
			target = slot->epoch + (slot->refreshing ? 2 : 1);
		}
		else if (pid != 0 && (!running || slot->worker_pid != pid))
			gone = true;
		if (pid != 0 && !gone)
		{
			done = slot->epoch >= target;
			if (!done)
				diskquota_slot_wake_worker(slot);
		}
		LWLockRelease(DiskquotaShared->lock);

		if (done)
		{
			result = true;
			break;
		}
		if (gone || (pid == 0 && GetCurrentTimestamp() >= give_up))
		{
			ereport(NOTICE,
					(errmsg("diskquota worker is not running for database \"%s\"",
							get_database_name(MyDatabaseId)),
					 errhint("See diskquota.status().")));
			break;
		}
		if (GetCurrentTimestamp() >= give_up_refresh)
		{
			ereport(NOTICE,
					(errmsg("diskquota worker of database \"%s\" has not completed a refresh in %d seconds",
							get_database_name(MyDatabaseId), DQ_STALE_MS / 1000),
					 errhint("See diskquota.status().")));
			break;
		}
		/* CHECK_FOR_INTERRUPTS is done inside: the wait is cancellable */
		(void) ConditionVariableTimedSleep(&slot->epoch_cv, 100, PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	PG_RETURN_BOOL(result);
}

static const char *
state_name(DiskquotaDBState state)
{
	switch (state)
	{
		case DQ_DB_UNUSED:
			return "unused";
		case DQ_DB_STARTING:
			return "starting";
		case DQ_DB_RUNNING:
			return "running";
		case DQ_DB_NO_DATABASE:
			return "database does not exist";
		case DQ_DB_NO_EXTENSION:
			return "extension not created";
		case DQ_DB_START_FAILED:
			return "no free worker slot";
		case DQ_DB_STOPPED:
			return "stopped";
		case DQ_DB_STOPPING:
			return "stopping";
	}
	return "unknown";
}

/*
 * diskquota.status(): one row per monitored database.
 */
Datum
diskquota_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	DiskquotaDBSlot *copy;
	bool		feed_active;
	int			n = 0;
	int			i;

	diskquota_require_shmem();
	InitMaterializedSRF(fcinfo, 0);

	copy = palloc(sizeof(DiskquotaDBSlot) * DiskquotaShared->ndbs);
	LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
	feed_active = DiskquotaShared->feed_active;
	for (i = 0; i < DiskquotaShared->ndbs; i++)
	{
		if (DiskquotaShared->dbs[i].state != DQ_DB_UNUSED)
			memcpy(&copy[n++], &DiskquotaShared->dbs[i], sizeof(DiskquotaDBSlot));
	}
	LWLockRelease(DiskquotaShared->lock);

	for (i = 0; i < n; i++)
	{
		DiskquotaDBSlot *slot = &copy[i];
		Datum		values[10];
		bool		nulls[10];
		StringInfoData reason;

		/*
		 * Someone granted EXECUTE who is not a superuser sees the databases
		 * it may connect to.
		 */
		if (!superuser() &&
			(!OidIsValid(slot->dbid) ||
			 !SearchSysCacheExists1(DATABASEOID, ObjectIdGetDatum(slot->dbid)) ||
			 pg_database_aclcheck(slot->dbid, GetUserId(), ACL_CONNECT) != ACLCHECK_OK))
			continue;

		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(slot->dbname);
		values[1] = ObjectIdGetDatum(slot->dbid);
		nulls[1] = !OidIsValid(slot->dbid);
		/* a DROP DATABASE or the like holds the worker off */
		values[2] = CStringGetTextDatum(slot->hold_until > GetCurrentTimestamp() ?
										"held" : state_name(slot->state));
		values[3] = Int32GetDatum(slot->worker_pid);
		nulls[3] = slot->worker_pid == 0;
		values[4] = Int64GetDatum((int64) slot->epoch);
		values[5] = TimestampTzGetDatum(slot->last_refresh);
		nulls[5] = slot->epoch == 0;
		values[6] = Float8GetDatum(slot->last_refresh_ms);
		nulls[6] = slot->epoch == 0;
		values[7] = Int64GetDatum((int64) slot->full_rescans);

		initStringInfo(&reason);
		/* fail closed (DQ_STALE_MS), and why the worker does not refresh */
		if (slot->stale && !slot->paused)
			appendStringInfo(&reason, "usage not refreshed since %s, loads into targets with a quota are refused",
							 slot->published_at != 0 ? timestamptz_to_str(slot->published_at) :
							 "diskquota began to monitor the database");
		if (slot->blocked_since != 0)
			appendStringInfo(&reason, "%srefresh blocked by a lock since %s",
							 reason.len > 0 ? "; " : "",
							 timestamptz_to_str(slot->blocked_since));
		if (slot->degraded & DQ_DEGRADED_ACTIVE_MAP_FULL)
			appendStringInfoString(&reason, "active relation map was full, database fully rescanned");
		if (slot->degraded & DQ_DEGRADED_QUOTA_MAP_FULL)
			appendStringInfo(&reason, "%squota map is full, the usage of some quotas is not shown",
							 reason.len > 0 ? "; " : "");
		if (slot->degraded & DQ_DEGRADED_REJECT_UNPUBLISHED)
			appendStringInfo(&reason, "%squota map is full of exceeded quotas, some exceeded quotas are not enforced",
							 reason.len > 0 ? "; " : "");
		if (slot->degraded & DQ_DEGRADED_SLOT_FULL)
			appendStringInfo(&reason, "%sa transaction created more relations than a backend slot holds",
							 reason.len > 0 ? "; " : "");
		if (slot->degraded & DQ_DEGRADED_FEED_OVERFLOW)
			appendStringInfo(&reason, "%sfile-change feed overflowed, database fully rescanned",
							 reason.len > 0 ? "; " : "");
		if (slot->degraded & DQ_DEGRADED_FEED_UNWATCHED)
			appendStringInfo(&reason, "%sa directory of the database could not be watched (inotify limits), database fully rescanned",
							 reason.len > 0 ? "; " : "");
		if (!feed_active)
			appendStringInfo(&reason, "%sno file-change feed, changes no hook sees wait for a full rescan",
							 reason.len > 0 ? "; " : "");
		values[8] = BoolGetDatum(reason.len > 0);
		values[9] = CStringGetTextDatum(reason.data);
		nulls[9] = reason.len == 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	/* listed databases left without a slot: diskquota.max_databases */
	if (n >= DiskquotaShared->ndbs && diskquota_monitor_databases != NULL)
	{
		char	   *rawstring = pstrdup(diskquota_monitor_databases);
		List	   *names;
		ListCell   *lc;

		if (!SplitIdentifierString(rawstring, ',', &names))
			names = NIL;
		foreach(lc, names)
		{
			char	   *name = (char *) lfirst(lc);
			Oid			dbid = get_database_oid(name, true);
			Datum		values[10];
			bool		nulls[10];

			if (!diskquota_database_beyond_limit(name))
				continue;
			if (!superuser() &&
				(!OidIsValid(dbid) ||
				 pg_database_aclcheck(dbid, GetUserId(), ACL_CONNECT) != ACLCHECK_OK))
				continue;
			memset(nulls, true, sizeof(nulls));
			values[0] = CStringGetTextDatum(name);
			nulls[0] = false;
			values[1] = ObjectIdGetDatum(dbid);
			nulls[1] = !OidIsValid(dbid);
			values[2] = CStringGetTextDatum("too many databases");
			nulls[2] = false;
			values[4] = Int64GetDatum(0);
			nulls[4] = false;
			values[7] = Int64GetDatum(0);
			nulls[7] = false;
			values[8] = BoolGetDatum(true);
			nulls[8] = false;
			values[9] = CStringGetTextDatum(psprintf("diskquota.monitor_databases lists more than diskquota.max_databases (%d) databases",
													 diskquota_max_databases));
			nulls[9] = false;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}

/*
 * diskquota.quota_usage(): the quotas of this database as the worker last
 * published them, with the usage of each target.
 */
Datum
diskquota_quota_usage(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	List	   *entries;
	ListCell   *lc;
	int			natts;

	diskquota_require_shmem();
	InitMaterializedSRF(fcinfo, 0);

	/* version 1.0 declares 5 columns and knows schema and role quotas only */
	natts = rsinfo->setDesc->natts;
	entries = diskquota_copy_quota_map(MyDatabaseId);
	foreach(lc, entries)
	{
		DiskquotaQuotaInfo *info = lfirst(lc);
		Datum		values[6];
		bool		nulls[6];

		if (natts < 6 && info->target.type != DQ_SCHEMA_QUOTA &&
			info->target.type != DQ_ROLE_QUOTA)
			continue;
		/* the quotas of 1.0 and 1.1: explicit hard limits */
		if (info->policy.defaulted || info->policy.hard_bytes < 0)
			continue;
		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(diskquota_quota_type_name(info->target.type));
		values[1] = ObjectIdGetDatum(info->target.oid);
		values[2] = Int64GetDatum(info->policy.hard_bytes);
		values[3] = Int64GetDatum(info->used_bytes);
		values[4] = BoolGetDatum(info->rejected);
		values[5] = ObjectIdGetDatum(info->target.spcoid);
		nulls[5] = !OidIsValid(info->target.spcoid);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * diskquota.show_rejectmap(): the targets of this database whose loads are
 * refused now.  Empty while diskquota is paused.
 */
Datum
diskquota_show_rejectmap(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	List	   *entries;
	ListCell   *lc;

	diskquota_require_shmem();
	InitMaterializedSRF(fcinfo, 0);
	if (diskquota_paused())
		return (Datum) 0;

	entries = diskquota_copy_quota_map(MyDatabaseId);
	foreach(lc, entries)
	{
		DiskquotaQuotaInfo *info = lfirst(lc);
		Datum		values[7];
		bool		nulls[7];
		char	   *name;

		if (!info->rejected)
			continue;
		memset(nulls, 0, sizeof(nulls));
		switch ((DiskquotaQuotaType) info->target.type)
		{
			case DQ_SCHEMA_QUOTA:
			case DQ_SCHEMA_TABLESPACE_QUOTA:
				name = get_namespace_name(info->target.oid);
				break;
			case DQ_ROLE_QUOTA:
			case DQ_ROLE_TABLESPACE_QUOTA:
				name = GetUserNameFromId(info->target.oid, true);
				break;
			default:
				name = get_database_name(info->target.oid);
				break;
		}
		values[0] = CStringGetTextDatum(diskquota_quota_type_name(info->target.type));
		values[1] = ObjectIdGetDatum(info->target.oid);
		values[2] = name ? CStringGetTextDatum(name) : (Datum) 0;
		nulls[2] = name == NULL;
		values[3] = ObjectIdGetDatum(info->target.spcoid);
		nulls[3] = !OidIsValid(info->target.spcoid);
		name = OidIsValid(info->target.spcoid) ? get_tablespace_name(info->target.spcoid) : NULL;
		values[4] = name ? CStringGetTextDatum(name) : (Datum) 0;
		nulls[4] = name == NULL;
		/* the limit its usage is refused at */
		values[5] = Int64GetDatum(info->policy.state == DQ_STATE_GRACE_EXPIRED ?
								  info->policy.soft_bytes : info->quota_bytes);
		values[6] = Int64GetDatum(info->used_bytes);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * diskquota.relation_size(regclass): what diskquota charges for a relation,
 * measured from its files without locking it.
 */
Datum
diskquota_relation_size_sql(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	bool		missing = false;

	diskquota_require_shmem();
	/* the size of a relation is for those who may read it */
	if (pg_class_aclcheck_ext(relid, GetUserId(), ACL_SELECT, &missing) != ACLCHECK_OK &&
		!missing)
		aclcheck_error(ACLCHECK_NO_PRIV, get_relkind_objtype(get_rel_relkind(relid)),
					   get_rel_name(relid));
	PG_RETURN_INT64(diskquota_relation_size(relid));
}

/*
 * diskquota.show_worker_epoch(): completed refreshes of this database's
 * worker; NULL if the database has no worker.
 */
Datum
diskquota_show_worker_epoch(PG_FUNCTION_ARGS)
{
	bool		running;
	uint64		epoch;

	diskquota_require_shmem();
	epoch = diskquota_current_epoch(MyDatabaseId, &running);
	if (!running)
		PG_RETURN_NULL();
	PG_RETURN_INT64((int64) epoch);
}

/* An int8[] of the advisory thresholds with these bits (all: ~0) */
static Datum
advisory_array(const DiskquotaQuotaPolicy *policy, uint32 bits)
{
	Datum		elems[DQ_MAX_ADVISORY];
	int			n = 0;
	int			i;

	for (i = 0; i < policy->nadvisory; i++)
	{
		if (bits & ((uint32) 1 << i))
			elems[n++] = Int64GetDatum(policy->advisory[i]);
	}
	return PointerGetDatum(construct_array(elems, n, INT8OID, 8, FLOAT8PASSBYVAL,
										   TYPALIGN_DOUBLE));
}

/* An interval of us microseconds, in days and time */
static Datum
interval_of_us(int64 us)
{
	Interval   *interval = palloc0(sizeof(Interval));

	interval->day = us / USECS_PER_DAY;
	interval->time = us % USECS_PER_DAY;
	return IntervalPGetDatum(interval);
}

/*
 * The quotas of this database as the worker last published them, as rows
 * of quota_policies(); mine_only: those of the current role's own targets
 * (selfservice.c).
 */
static void
quota_policies(FunctionCallInfo fcinfo, bool mine_only)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	List	   *entries;
	ListCell   *lc;

	diskquota_require_shmem();
	InitMaterializedSRF(fcinfo, 0);
	entries = diskquota_copy_quota_map(MyDatabaseId);
	foreach(lc, entries)
	{
		DiskquotaQuotaInfo *info = lfirst(lc);
		DiskquotaQuotaPolicy *policy = &info->policy;
		Datum		values[21];
		bool		nulls[21];

		if (mine_only && !diskquota_target_is_mine(&info->target))
			continue;
		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(diskquota_quota_type_name(info->target.type));
		values[1] = ObjectIdGetDatum(info->target.oid);
		values[2] = ObjectIdGetDatum(info->target.spcoid);
		nulls[2] = !OidIsValid(info->target.spcoid);
		values[3] = CStringGetTextDatum(policy->defaulted ? "default" : "explicit");
		values[4] = BoolGetDatum(policy->enforced);
		values[5] = Int64GetDatum(policy->hard_bytes);
		nulls[5] = policy->hard_bytes < 0;
		values[6] = Int64GetDatum(policy->soft_bytes);
		nulls[6] = policy->soft_bytes < 0;
		if (policy->soft_bytes >= 0)
			values[7] = interval_of_us(policy->grace_us);
		else
			nulls[7] = true;
		values[8] = advisory_array(policy, ~(uint32) 0);
		values[9] = advisory_array(policy, policy->latched);
		nulls[8] = nulls[9] = policy->nadvisory == 0;
		values[10] = Int64GetDatum(info->used_bytes);
		values[11] = CStringGetTextDatum(diskquota_quota_state_name(policy->state));
		values[12] = TimestampTzGetDatum(policy->over_soft_since);
		values[13] = TimestampTzGetDatum(policy->grace_expires_at);
		nulls[12] = nulls[13] = policy->over_soft_since == 0;
		values[14] = BoolGetDatum(policy->notify);
		values[15] = interval_of_us(policy->reminder_us);
		values[16] = Int64GetDatum((int64) info->denied_count);
		values[17] = Int64GetDatum((int64) info->stopped_count);
		values[18] = Float8GetDatum(policy->overuse_mb_days);
		values[19] = Int32GetDatum(policy->days_over_30d);
		values[20] = Int32GetDatum(policy->level);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/*
 * diskquota.quota_policies(): every effective quota of this database,
 * explicit or default (the view diskquota.quotas names the targets).
 */
Datum
diskquota_quota_policies(PG_FUNCTION_ARGS)
{
	quota_policies(fcinfo, false);
	return (Datum) 0;
}

/*
 * diskquota.my_quota_policies(): the same, of the caller's own targets
 * only (the view diskquota.my_quotas); granted to every role.
 */
Datum
diskquota_my_quota_policies(PG_FUNCTION_ARGS)
{
	quota_policies(fcinfo, true);
	return (Datum) 0;
}
