/*-------------------------------------------------------------------------
 *
 * diskquota_utility.c
 *		SQL-callable functions of the diskquota extension.
 *
 * The set_*_quota() functions write diskquota.quota_config and wake the
 * worker when the transaction commits; the worker publishes the effect at
 * its next refresh.  pause() and resume() write diskquota.pause_state and
 * take effect when the transaction commits.  wait_for_worker_new_epoch()
 * waits for a refresh that starts after the call.  status(), quota_usage(),
 * show_rejectmap() and show_worker_epoch() read the shared state published
 * by the launcher and the workers; relation_size() stats a relation's files
 * (for those who may SELECT from it).  The statements on quota_config and
 * pause_state name the extension's own tables, found by OID, and run under
 * the fixed settings of ownobjects.c: a database owner's objects and
 * settings cannot take part.  status() shows a role that is not a superuser
 * only the databases it may connect to.
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
#include "enforcement.h"

/* How long wait_for_worker_new_epoch() waits for a worker to start */
#define WORKER_START_TIMEOUT_MS 10000

PG_FUNCTION_INFO_V1(diskquota_set_schema_quota);
PG_FUNCTION_INFO_V1(diskquota_set_role_quota);
PG_FUNCTION_INFO_V1(diskquota_wait_for_worker_new_epoch);
PG_FUNCTION_INFO_V1(diskquota_status);
PG_FUNCTION_INFO_V1(diskquota_quota_usage);
PG_FUNCTION_INFO_V1(diskquota_set_schema_tablespace_quota);
PG_FUNCTION_INFO_V1(diskquota_set_role_tablespace_quota);
PG_FUNCTION_INFO_V1(diskquota_set_database_quota);
PG_FUNCTION_INFO_V1(diskquota_pause);
PG_FUNCTION_INFO_V1(diskquota_resume);
PG_FUNCTION_INFO_V1(diskquota_show_rejectmap);
PG_FUNCTION_INFO_V1(diskquota_relation_size_sql);
PG_FUNCTION_INFO_V1(diskquota_show_worker_epoch);

static void
require_superuser(void)
{
	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to change disk quotas"),
				 errdetail("Only superusers may change disk quotas.")));
}

static text *
required_text_arg(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"%s\" must not be null", argname)));
	return PG_GETARG_TEXT_PP(argno);
}

/*
 * The length in bytes of the one identifier in raw (valid for
 * SplitIdentifierString) before truncation: without the blanks around it,
 * its double quotes, and one quote of each doubled quote.  Folding to lower
 * case keeps the length.
 */
static size_t
identifier_length(const char *raw)
{
	const char *start = raw;
	const char *end = raw + strlen(raw);
	size_t		len;

	while (start < end && scanner_isspace(*start))
		start++;
	while (end > start && scanner_isspace(end[-1]))
		end--;
	len = end - start;
	if (len >= 2 && *start == '"')
	{
		const char *p;

		len -= 2;
		for (p = start + 1; p < end - 1; p++)
		{
			if (p[0] == '"' && p[1] == '"')
			{
				len--;
				p++;
			}
		}
	}
	return len;
}

/* What a name given to the SQL functions names */
typedef enum DiskquotaNameKind
{
	DQ_NAME_SCHEMA,
	DQ_NAME_ROLE,
	DQ_NAME_TABLESPACE
} DiskquotaNameKind;

/*
 * Parse an identifier as SQL does: unquoted names are folded to lower case,
 * double-quoted names keep their case.  Exactly one name is allowed.  A name
 * longer than an identifier can be is refused, where SQL would truncate it:
 * the truncated name could be another object's.
 */
static char *
parse_identifier(text *input, DiskquotaNameKind kind)
{
	char	   *raw = text_to_cstring(input);
	char	   *copy = pstrdup(raw);
	List	   *names;
	char	   *name;

	if (!SplitIdentifierString(copy, '.', &names) || list_length(names) != 1 ||
		strlen((char *) linitial(names)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 kind == DQ_NAME_SCHEMA ?
				 errmsg("invalid schema name: \"%s\"", raw) :
				 kind == DQ_NAME_ROLE ?
				 errmsg("invalid role name: \"%s\"", raw) :
				 errmsg("invalid tablespace name: \"%s\"", raw),
				 errdetail("The name must be one SQL identifier."),
				 errhint("Double-quote the name to keep upper-case letters or special characters.")));
	name = (char *) linitial(names);
	if (identifier_length(raw) != strlen(name))
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 kind == DQ_NAME_SCHEMA ?
				 errmsg("schema name is too long: \"%s...\"", name) :
				 kind == DQ_NAME_ROLE ?
				 errmsg("role name is too long: \"%s...\"", name) :
				 errmsg("tablespace name is too long: \"%s...\"", name),
				 errdetail("A name has at most %d bytes.", NAMEDATALEN - 1)));
	return name;
}

/*
 * A schema that can have a quota: not pg_toast or a temporary schema, whose
 * relations are charged elsewhere (a quota there would never count
 * anything).  Removing a quota (a negative size) is always allowed.
 */
static void
check_quota_schema(Oid nspoid, int64 bytes)
{
	if (bytes < 0)
		return;
	if (IsToastNamespace(nspoid) || isAnyTempNamespace(nspoid))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot set a quota on schema \"%s\"", get_namespace_name(nspoid)),
				 IsToastNamespace(nspoid) ?
				 errdetail("TOAST tables are charged to the schema of their table.") :
				 errdetail("Temporary tables are charged to their owner only."),
				 IsToastNamespace(nspoid) ? 0 :
				 errhint("Set a quota on the role instead.")));
}

/*
 * Parse a size such as '1 MB', '1MB', '512 kB', '10 GB' or '-1', with the
 * units and error messages of pg_size_bytes().
 */
static int64
parse_quota(text *input)
{
	return DatumGetInt64(DirectFunctionCall1(pg_size_bytes, PointerGetDatum(input)));
}

/* The quota_type of quota_config for a kind of target */
static const char *
quota_type_name(DiskquotaQuotaType type)
{
	switch (type)
	{
		case DQ_SCHEMA_QUOTA:
			return "schema";
		case DQ_ROLE_QUOTA:
			return "role";
		case DQ_SCHEMA_TABLESPACE_QUOTA:
			return "schema_tablespace";
		case DQ_ROLE_TABLESPACE_QUOTA:
			return "role_tablespace";
		default:
			return "database";
	}
}

/*
 * One of the extension's own tables (quota_config, pause_state), qualified
 * for a statement: found through the extension's catalog entry, never by
 * name through a search_path (ownobjects.c).
 */
static char *
own_table(const char *relname)
{
	Oid			relid = diskquota_own_table(get_extension_oid(DISKQUOTA_EXTENSION_NAME, false),
											relname);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table \"%s\" of extension \"%s\" does not exist",
						relname, DISKQUOTA_EXTENSION_NAME)));
	return diskquota_qualified_name(relid);
}

/*
 * Run one statement of ours on our tables, as the caller (a superuser),
 * under the fixed settings of ownobjects.c: no name or operator resolved
 * through a schema the database owner or a tenant controls.
 */
static void
execute_own_sql(const char *sql, int nargs, Oid *argtypes, Datum *values)
{
	int			nestlevel = diskquota_internal_sql_begin();
	int			ret;

	SPI_connect();
	ret = diskquota_execute_internal(sql, nargs, argtypes, values);
	if (ret < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg_internal("could not run \"%s\": %s",
								 sql, SPI_result_code_string(ret))));
	SPI_finish();
	diskquota_internal_sql_end(nestlevel);
}

/*
 * Insert, update or (for a negative size) delete one quota_config row.
 * Schema and role quotas work with version 1.0 of the table too: it has
 * no tablespace columns, and its unique constraint has the same name.
 */
static void
store_quota(const DiskquotaTarget *target, int64 bytes)
{
	Oid			argtypes[4] = {TEXTOID, OIDOID, INT8OID, OIDOID};
	Datum		values[4];
	char	   *config = own_table("quota_config");
	const char *sql;

	values[0] = CStringGetTextDatum(quota_type_name(target->type));
	values[1] = ObjectIdGetDatum(target->oid);
	values[2] = Int64GetDatum(bytes);
	values[3] = ObjectIdGetDatum(target->spcoid);

#define SAME_TARGET \
	" WHERE quota_type OPERATOR(pg_catalog.=) $1" \
	" AND coalesce(schema_id::pg_catalog.oid, role_id::pg_catalog.oid) OPERATOR(pg_catalog.=) $2"
	if (bytes < 0)
	{
		switch ((DiskquotaQuotaType) target->type)
		{
			case DQ_SCHEMA_QUOTA:
			case DQ_ROLE_QUOTA:
				sql = psprintf("DELETE FROM %s" SAME_TARGET, config);
				break;
			case DQ_SCHEMA_TABLESPACE_QUOTA:
			case DQ_ROLE_TABLESPACE_QUOTA:
				sql = psprintf("DELETE FROM %s" SAME_TARGET
							   " AND tablespace_oid OPERATOR(pg_catalog.=) $4", config);
				break;
			default:
				sql = psprintf("DELETE FROM %s WHERE quota_type OPERATOR(pg_catalog.=) $1",
							   config);
				break;
		}
	}
#undef SAME_TARGET
	else
	{
		switch ((DiskquotaQuotaType) target->type)
		{
			case DQ_SCHEMA_QUOTA:
				sql = psprintf("INSERT INTO %s (quota_type, schema_id, quota_in_bytes)"
							   " VALUES ($1, $2::pg_catalog.regnamespace, $3)", config);
				break;
			case DQ_ROLE_QUOTA:
				sql = psprintf("INSERT INTO %s (quota_type, role_id, quota_in_bytes)"
							   " VALUES ($1, $2::pg_catalog.regrole, $3)", config);
				break;
			case DQ_SCHEMA_TABLESPACE_QUOTA:
				sql = psprintf("INSERT INTO %s"
							   " (quota_type, schema_id, tablespace_oid, tablespace_name, quota_in_bytes)"
							   " SELECT $1, $2::pg_catalog.regnamespace, $4, spcname, $3"
							   " FROM pg_catalog.pg_tablespace WHERE oid OPERATOR(pg_catalog.=) $4",
							   config);
				break;
			case DQ_ROLE_TABLESPACE_QUOTA:
				sql = psprintf("INSERT INTO %s"
							   " (quota_type, role_id, tablespace_oid, tablespace_name, quota_in_bytes)"
							   " SELECT $1, $2::pg_catalog.regrole, $4, spcname, $3"
							   " FROM pg_catalog.pg_tablespace WHERE oid OPERATOR(pg_catalog.=) $4",
							   config);
				break;
			default:
				sql = psprintf("INSERT INTO %s (quota_type, quota_in_bytes) VALUES ($1, $3)",
							   config);
				break;
		}
		sql = psprintf("%s ON CONFLICT ON CONSTRAINT quota_config_target_key"
					   " DO UPDATE SET quota_in_bytes = EXCLUDED.quota_in_bytes", sql);
	}

	execute_own_sql(sql, 4, argtypes, values);
	diskquota_wake_worker_at_commit();
}

/* A schema, role or database quota (no tablespace) */
static void
set_quota(DiskquotaQuotaType type, Oid oid, int64 bytes)
{
	DiskquotaTarget target;

	memset(&target, 0, sizeof(target));
	target.type = type;
	target.oid = oid;
	store_quota(&target, bytes);
}

/*
 * A tablespace named by its argument, as an identifier.  pg_global holds
 * only shared catalogs, which no quota counts.
 */
static Oid
tablespace_arg(FunctionCallInfo fcinfo, int argno)
{
	char	   *name = parse_identifier(required_text_arg(fcinfo, argno, "tablespace"),
										DQ_NAME_TABLESPACE);
	Oid			spcoid = get_tablespace_oid(name, false);

	if (spcoid == GLOBALTABLESPACE_OID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a quota cannot be set in tablespace \"%s\"", name),
				 errdetail("Only shared system catalogs are stored there.")));
	return spcoid;
}

/*
 * diskquota.set_schema_quota(schema text, quota text)
 */
Datum
diskquota_set_schema_quota(PG_FUNCTION_ARGS)
{
	text	   *schema = required_text_arg(fcinfo, 0, "schema");
	text	   *quota = required_text_arg(fcinfo, 1, "quota");
	char	   *name;
	Oid			nspoid;
	int64		bytes;

	diskquota_require_shmem();
	require_superuser();
	name = parse_identifier(schema, DQ_NAME_SCHEMA);
	nspoid = get_namespace_oid(name, false);
	bytes = parse_quota(quota);
	check_quota_schema(nspoid, bytes);
	set_quota(DQ_SCHEMA_QUOTA, nspoid, bytes);
	PG_RETURN_VOID();
}

/*
 * diskquota.set_role_quota(role text, quota text)
 */
Datum
diskquota_set_role_quota(PG_FUNCTION_ARGS)
{
	text	   *role = required_text_arg(fcinfo, 0, "role");
	text	   *quota = required_text_arg(fcinfo, 1, "quota");
	char	   *name;
	Oid			roleoid;
	int64		bytes;

	diskquota_require_shmem();
	require_superuser();
	name = parse_identifier(role, DQ_NAME_ROLE);
	roleoid = get_role_oid(name, false);
	bytes = parse_quota(quota);
	set_quota(DQ_ROLE_QUOTA, roleoid, bytes);
	PG_RETURN_VOID();
}

/* A quota of a schema or a role (argument 0) in a tablespace (argument 1) */
static void
set_tablespace_quota(FunctionCallInfo fcinfo, DiskquotaQuotaType type)
{
	DiskquotaTarget target;
	bool		schema = type == DQ_SCHEMA_TABLESPACE_QUOTA;
	char	   *name = parse_identifier(required_text_arg(fcinfo, 0, schema ? "schema" : "role"),
										schema ? DQ_NAME_SCHEMA : DQ_NAME_ROLE);
	text	   *quota = required_text_arg(fcinfo, 2, "quota");
	int64		bytes;

	diskquota_require_shmem();
	require_superuser();
	memset(&target, 0, sizeof(target));
	target.type = type;
	target.oid = schema ? get_namespace_oid(name, false) : get_role_oid(name, false);
	target.spcoid = tablespace_arg(fcinfo, 1);
	bytes = parse_quota(quota);
	if (schema)
		check_quota_schema(target.oid, bytes);
	store_quota(&target, bytes);
}

/*
 * diskquota.set_schema_tablespace_quota(schema text, tablespace text,
 * quota text)
 */
Datum
diskquota_set_schema_tablespace_quota(PG_FUNCTION_ARGS)
{
	set_tablespace_quota(fcinfo, DQ_SCHEMA_TABLESPACE_QUOTA);
	PG_RETURN_VOID();
}

/*
 * diskquota.set_role_tablespace_quota(role text, tablespace text,
 * quota text)
 */
Datum
diskquota_set_role_tablespace_quota(PG_FUNCTION_ARGS)
{
	set_tablespace_quota(fcinfo, DQ_ROLE_TABLESPACE_QUOTA);
	PG_RETURN_VOID();
}

/*
 * diskquota.set_database_quota(quota text): the current database
 */
Datum
diskquota_set_database_quota(PG_FUNCTION_ARGS)
{
	text	   *quota = required_text_arg(fcinfo, 0, "quota");

	diskquota_require_shmem();
	require_superuser();
	set_quota(DQ_DATABASE_QUOTA, MyDatabaseId, parse_quota(quota));
	PG_RETURN_VOID();
}

/*
 * diskquota.pause() and diskquota.resume(): stored in diskquota.pause_state,
 * so that a pause survives a restart; effective when the transaction
 * commits.
 */
static void
set_paused(bool paused)
{
	diskquota_require_shmem();
	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 paused ?
				 errmsg("permission denied to pause diskquota") :
				 errmsg("permission denied to resume diskquota"),
				 errdetail("Only superusers may pause or resume diskquota.")));
	execute_own_sql(paused ?
					psprintf("INSERT INTO %s VALUES (pg_catalog.now()) ON CONFLICT DO NOTHING",
							 own_table("pause_state")) :
					psprintf("DELETE FROM %s", own_table("pause_state")),
					0, NULL, NULL);
	diskquota_set_paused_at_commit(paused);
}

Datum
diskquota_pause(PG_FUNCTION_ARGS)
{
	set_paused(true);
	PG_RETURN_VOID();
}

Datum
diskquota_resume(PG_FUNCTION_ARGS)
{
	set_paused(false);
	PG_RETURN_VOID();
}

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
		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(quota_type_name(info->target.type));
		values[1] = ObjectIdGetDatum(info->target.oid);
		values[2] = Int64GetDatum(info->quota_bytes);
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
		values[0] = CStringGetTextDatum(quota_type_name(info->target.type));
		values[1] = ObjectIdGetDatum(info->target.oid);
		values[2] = name ? CStringGetTextDatum(name) : (Datum) 0;
		nulls[2] = name == NULL;
		values[3] = ObjectIdGetDatum(info->target.spcoid);
		nulls[3] = !OidIsValid(info->target.spcoid);
		name = OidIsValid(info->target.spcoid) ? get_tablespace_name(info->target.spcoid) : NULL;
		values[4] = name ? CStringGetTextDatum(name) : (Datum) 0;
		nulls[4] = name == NULL;
		values[5] = Int64GetDatum(info->quota_bytes);
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
