/*-------------------------------------------------------------------------
 *
 * quotaconfig.c
 *		The SQL functions that set quotas and pause diskquota: they write
 *		the extension's tables quota_config, default_quota, quota_state
 *		and pause_state.
 *
 * set_quota() sets the whole of a quota (hard and soft limits, grace
 * period, advisory thresholds, whether it is enforced); the functions of
 * 1.0 and 1.1 (set_schema_quota() and the others) set its hard limit only
 * and keep the rest, or remove the whole quota for a negative size, as
 * remove_quota() does.  set_default_quota() and remove_default_quota()
 * write default_quota; extend_grace() moves the end of a running grace
 * period in quota_state (the worker keeps the rest of that table:
 * policy.c); set_quota_notifications() sets whether a quota's events are
 * logged and how often its reminders come, keeping its limits (set_quota()
 * keeps these).  Each wakes the worker when the transaction commits; the
 * worker publishes the effect at its next refresh.  pause() and resume()
 * write pause_state and take effect when the transaction commits.
 *
 * Only superusers may call them.  Their statements name the extension's
 * own tables, found by OID, qualify every operator and cast, and run under
 * the fixed settings of ownobjects.c: a database owner's objects and
 * settings cannot take part.
 *
 * This file owns no shared state.
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		quotaconfig.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>

#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "catalog/pg_tablespace_d.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "commands/tablespace.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "parser/scansup.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "diskquota_common.h"
#include "settings.h"
#include "ownobjects.h"
#include "registry.h"
#include "activetable.h"
#include "quotamap.h"
#include "events.h"
#include "policy.h"
#include "enforcement.h"
#include "quotaconfig.h"

PG_FUNCTION_INFO_V1(diskquota_set_schema_quota);
PG_FUNCTION_INFO_V1(diskquota_set_role_quota);
PG_FUNCTION_INFO_V1(diskquota_set_schema_tablespace_quota);
PG_FUNCTION_INFO_V1(diskquota_set_role_tablespace_quota);
PG_FUNCTION_INFO_V1(diskquota_set_database_quota);
PG_FUNCTION_INFO_V1(diskquota_pause);
PG_FUNCTION_INFO_V1(diskquota_resume);
PG_FUNCTION_INFO_V1(diskquota_set_quota);
PG_FUNCTION_INFO_V1(diskquota_remove_quota);
PG_FUNCTION_INFO_V1(diskquota_set_default_quota);
PG_FUNCTION_INFO_V1(diskquota_remove_default_quota);
PG_FUNCTION_INFO_V1(diskquota_extend_grace);
PG_FUNCTION_INFO_V1(diskquota_set_quota_notifications);

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

/* Has quota_config the policy columns of version 1.2? */
static bool
has_policy_columns(void)
{
	Oid			relid = diskquota_own_table(get_extension_oid(DISKQUOTA_EXTENSION_NAME, false),
											"quota_config");

	return OidIsValid(relid) && get_attnum(relid, "enforced") != InvalidAttrNumber;
}

/*
 * The condition on quota_config's rows that selects one target: $1 its
 * type, $2 its schema or role (0 for none), $3 its tablespace (0 for none).
 */
#define CONFIG_TARGET \
	" quota_type OPERATOR(pg_catalog.=) $1" \
	" AND coalesce(schema_id::pg_catalog.oid, role_id::pg_catalog.oid, 0::pg_catalog.oid)" \
	" OPERATOR(pg_catalog.=) $2" \
	" AND coalesce(tablespace_oid, 0::pg_catalog.oid) OPERATOR(pg_catalog.=) $3"

/* The values of CONFIG_TARGET's parameters for a target */
static void
config_target_values(const DiskquotaTarget *target, Datum *values)
{
	values[0] = CStringGetTextDatum(diskquota_quota_type_name(target->type));
	values[1] = ObjectIdGetDatum(target->type == DQ_DATABASE_QUOTA ? InvalidOid : target->oid);
	values[2] = ObjectIdGetDatum(target->spcoid);
}

/*
 * A new hard limit that a quota's soft limit (in bytes) would be above is
 * refused: set_schema_quota() and the others keep the soft limit.
 */
static void
check_soft_under_hard(const char *config, const DiskquotaTarget *target,
					  int64 hard_bytes)
{
	Oid			argtypes[4] = {TEXTOID, OIDOID, OIDOID, INT8OID};
	Datum		values[4];

	if (!has_policy_columns())
		return;
	config_target_values(target, values);
	values[3] = Int64GetDatum(hard_bytes);
	if (diskquota_execute_own_sql(psprintf("SELECT FROM %s WHERE" CONFIG_TARGET
										   " AND soft_bytes OPERATOR(pg_catalog.>) $4",
										   config),
								  4, argtypes, values, NULL) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the soft limit of the quota is above the new hard limit"),
				 errhint("Set the whole quota with diskquota.set_quota().")));
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
	char	   *config = diskquota_own_table_name("quota_config");
	const char *sql;

	values[0] = CStringGetTextDatum(diskquota_quota_type_name(target->type));
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
					   " DO UPDATE SET quota_in_bytes = EXCLUDED.quota_in_bytes%s", sql,
					   has_policy_columns() ? ", hard_unlimited = false" : "");
	}

	if (bytes >= 0)
		check_soft_under_hard(config, target, bytes);
	diskquota_execute_own_sql(sql, 4, argtypes, values, NULL);
	diskquota_wake_worker_at_commit();
}

/*
 * A target without a quota of its own but under a default quota gets its
 * own as a copy of the default (soft limit, grace period, thresholds,
 * enforced, notifications), so that setting its hard limit keeps the rest
 * of the policy it had.  Nothing for a target with its own quota, or
 * without a default.
 */
static void
copy_default_quota(const DiskquotaTarget *target)
{
	Oid			types[4] = {TEXTOID, OIDOID, OIDOID, OIDOID};
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	bool		schema = target->type == DQ_SCHEMA_QUOTA ||
	target->type == DQ_SCHEMA_TABLESPACE_QUOTA;

	values[0] = CStringGetTextDatum(diskquota_quota_type_name(target->type));
	values[1] = ObjectIdGetDatum(target->oid);
	nulls[1] = schema ? ' ' : 'n';
	values[2] = ObjectIdGetDatum(target->oid);
	nulls[2] = schema ? 'n' : ' ';
	values[3] = ObjectIdGetDatum(target->spcoid);
	diskquota_execute_own_sql(psprintf("INSERT INTO %s (quota_type, schema_id, role_id,"
									   " tablespace_oid, tablespace_name, quota_in_bytes,"
									   " soft_bytes, soft_percent, grace, advisory_bytes,"
									   " advisory_percent, enforced, notify, reminder_interval)"
									   " SELECT $1, $2::pg_catalog.regnamespace,"
									   " $3::pg_catalog.regrole, d.tablespace_oid,"
									   " d.tablespace_name, d.quota_in_bytes, d.soft_bytes,"
									   " d.soft_percent, d.grace, d.advisory_bytes,"
									   " d.advisory_percent, d.enforced, d.notify,"
									   " d.reminder_interval"
									   " FROM %s d WHERE d.quota_type OPERATOR(pg_catalog.=) $1"
									   " AND coalesce(d.tablespace_oid, 0::pg_catalog.oid)"
									   " OPERATOR(pg_catalog.=) $4"
									   " ON CONFLICT ON CONSTRAINT quota_config_target_key DO NOTHING",
									   diskquota_own_table_name("quota_config"),
									   diskquota_own_table_name("default_quota")),
							  4, types, values, nulls);
}

/*
 * Set the hard limit of a target's quota, keeping the rest of it (or of
 * the default quota it was under; else a quota of that limit only):
 * diskquota.approve_request() (selfservice.c).
 * Runs as the current user, who must be allowed to write quota_config.
 */
void
diskquota_store_hard_limit(const DiskquotaTarget *target, int64 bytes)
{
	Assert(bytes >= 0);
	if (target->type != DQ_DATABASE_QUOTA && has_policy_columns())
		copy_default_quota(target);
	store_quota(target, bytes);
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

/* Log a system event (no target): paused, resumed (events.c) */
static void
log_system_event(const char *name)
{
	DiskquotaEvent event;

	memset(&event, 0, sizeof(event));
	event.event = name;
	event.target.type = -1;
	event.limit_bytes = -1;
	event.used_bytes = -1;
	event.count = 1;
	diskquota_event_log_now(&event);
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
	if (diskquota_execute_own_sql(paused ?
								  psprintf("INSERT INTO %s VALUES (pg_catalog.now()) ON CONFLICT DO NOTHING",
										   diskquota_own_table_name("pause_state")) :
								  psprintf("DELETE FROM %s", diskquota_own_table_name("pause_state")),
								  0, NULL, NULL, NULL) > 0)
		log_system_event(paused ? "paused" : "resumed");
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

/* ----------------------------------------------------------------
 * Version 1.2: set_quota() and the other functions of quota policy
 * ----------------------------------------------------------------
 */

/* The kind of target its argument names; *with_tablespace for its kinds */
static DiskquotaQuotaType
target_type_arg(FunctionCallInfo fcinfo, int argno, bool defaults)
{
	char	   *name = text_to_cstring(required_text_arg(fcinfo, argno, "target_type"));
	int			type = diskquota_quota_type_of(name);

	if (type < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown target type \"%s\"", name),
				 errhint("The target types are schema, role, schema_tablespace, role_tablespace and database.")));
	if (defaults && type == DQ_DATABASE_QUOTA)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a database has no default quota"),
				 errhint("Set the quota of the database with diskquota.set_quota('database', NULL, ...).")));
	return (DiskquotaQuotaType) type;
}

static inline bool
tablespace_type(DiskquotaQuotaType type)
{
	return type == DQ_SCHEMA_TABLESPACE_QUOTA || type == DQ_ROLE_TABLESPACE_QUOTA;
}

/*
 * The tablespace argument: required for the kinds of target in a
 * tablespace, refused for the others.
 */
static Oid
target_tablespace_arg(FunctionCallInfo fcinfo, int argno, DiskquotaQuotaType type)
{
	if (tablespace_type(type))
		return tablespace_arg(fcinfo, argno);
	if (!PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a %s quota has no tablespace", diskquota_quota_type_name(type)),
				 errhint("Use target type schema_tablespace or role_tablespace.")));
	return InvalidOid;
}

/*
 * The target named by the arguments typearg (target_type), targetarg
 * (target) and spcarg (tablespace).  A database target is the current
 * database, named or NULL.  for_removal: a quota is removed or a grace
 * period moved, which any schema may have.
 */
void
diskquota_target_args(FunctionCallInfo fcinfo, int typearg, int targetarg, int spcarg,
					  bool for_removal, DiskquotaTarget *target)
{
	DiskquotaQuotaType type = target_type_arg(fcinfo, typearg, false);

	memset(target, 0, sizeof(*target));
	target->type = type;
	switch (type)
	{
		case DQ_SCHEMA_QUOTA:
		case DQ_SCHEMA_TABLESPACE_QUOTA:
			target->oid = get_namespace_oid(parse_identifier(required_text_arg(fcinfo, targetarg, "target"),
															 DQ_NAME_SCHEMA), false);
			check_quota_schema(target->oid, for_removal ? -1 : 0);
			break;
		case DQ_ROLE_QUOTA:
		case DQ_ROLE_TABLESPACE_QUOTA:
			target->oid = get_role_oid(parse_identifier(required_text_arg(fcinfo, targetarg, "target"),
														DQ_NAME_ROLE), false);
			break;
		default:
			if (!PG_ARGISNULL(targetarg))
			{
				char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(targetarg));

				if (strcmp(name, get_database_name(MyDatabaseId)) != 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("a database quota is set in its database: \"%s\" is not the current database",
									name),
							 errhint("Connect to the database, or pass NULL as the target.")));
			}
			target->oid = MyDatabaseId;
			break;
	}
	target->spcoid = target_tablespace_arg(fcinfo, spcarg, type);
}

/*
 * A limit: a size as pg_size_bytes() reads it, or with allow_percent a
 * percentage of the hard limit ("90%", greater than 0 and at most 100).
 * Sets *bytes (-1 for a percentage) and *percent (0 for a size).
 */
static void
parse_limit(const char *what, const char *raw, bool allow_percent,
			int64 *bytes, double *percent)
{
	char	   *value = pstrdup(raw);
	char	   *end = value + strlen(value);

	while (isspace((unsigned char) *value))
		value++;
	while (end > value && isspace((unsigned char) end[-1]))
		*--end = '\0';
	*bytes = -1;
	*percent = 0;
	if (end > value && end[-1] == '%')
	{
		char	   *rest;

		if (!allow_percent)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the %s cannot be a percentage: \"%s\"", what, raw)));
		end[-1] = '\0';
		errno = 0;
		*percent = strtod(value, &rest);
		while (isspace((unsigned char) *rest))
			rest++;
		if (rest == value || *rest != '\0' || errno != 0 || isnan(*percent) ||
			*percent <= 0 || *percent > 100)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid percentage for the %s: \"%s\"", what, raw),
					 errdetail("A percentage of the hard limit is greater than 0 and at most 100.")));
		return;
	}
	*bytes = DatumGetInt64(DirectFunctionCall1(pg_size_bytes,
											   CStringGetTextDatum(value)));
	if (*bytes < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the %s must not be negative: \"%s\"", what, raw),
				 errhint("Remove a quota with diskquota.remove_quota().")));
}

/* A quota's settings as the arguments of set_quota() give them */
typedef struct QuotaArgs
{
	DiskquotaPolicyConfig config;
	Datum		grace;			/* interval; (Datum) 0 if NULL */
} QuotaArgs;

/*
 * The arguments hard, soft, grace and advisory (from hardarg on, in that
 * order) and enforced (enforcedarg).  'unlimited' is allowed as the hard
 * limit where unlimited_allowed.
 */
static void
quota_args(FunctionCallInfo fcinfo, int hardarg, int enforcedarg,
		   bool unlimited_allowed, QuotaArgs *args)
{
	DiskquotaPolicyConfig *config = &args->config;
	int			softarg = hardarg + 1;
	int			gracearg = hardarg + 2;
	int			advisoryarg = hardarg + 3;

	memset(args, 0, sizeof(*args));
	config->hard_bytes = -1;
	config->soft_bytes = -1;
	config->grace_us = -1;
	if (!PG_ARGISNULL(hardarg))
	{
		char	   *hard = text_to_cstring(PG_GETARG_TEXT_PP(hardarg));
		char	   *word = hard;
		double		unused;

		while (isspace((unsigned char) *word))
			word++;
		if (pg_strncasecmp(word, "unlimited", 9) == 0 &&
			strspn(word + 9, " \t\n\r") == strlen(word + 9))
		{
			if (!unlimited_allowed)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("a default quota cannot be unlimited"),
						 errhint("Pass NULL for no hard limit, or remove the default quota.")));
			config->unlimited = true;
		}
		else
			parse_limit("hard limit", hard, false, &config->hard_bytes, &unused);
	}
	if (!PG_ARGISNULL(softarg))
	{
		char	   *soft = text_to_cstring(PG_GETARG_TEXT_PP(softarg));

		parse_limit("soft limit", soft, true, &config->soft_bytes, &config->soft_percent);
		if (config->soft_percent > 0 && config->hard_bytes < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a soft limit given as a percentage needs a hard limit"),
					 errdetail("The soft limit is \"%s\" and the quota has no hard limit in bytes.", soft)));
		if (config->hard_bytes >= 0 && config->soft_bytes > config->hard_bytes)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the soft limit must not be above the hard limit"),
					 errdetail("The soft limit is %lld bytes and the hard limit %lld bytes.",
							   (long long) config->soft_bytes, (long long) config->hard_bytes)));
	}
	if (!PG_ARGISNULL(gracearg))
	{
		Interval	zero;

		memset(&zero, 0, sizeof(zero));
		args->grace = PG_GETARG_DATUM(gracearg);
		if (DatumGetBool(DirectFunctionCall2(interval_lt, args->grace,
											 IntervalPGetDatum(&zero))))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the grace period must not be negative")));
	}
	if (!PG_ARGISNULL(advisoryarg))
	{
		char	   *list = text_to_cstring(PG_GETARG_TEXT_PP(advisoryarg));
		char	   *item;
		char	   *save = NULL;
		int			n = 0;

		for (item = strtok_r(list, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save))
		{
			int64		bytes;
			double		percent;

			if (++n > DQ_MAX_ADVISORY)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("a quota has at most %d advisory thresholds", DQ_MAX_ADVISORY)));
			parse_limit("advisory threshold", item, true, &bytes, &percent);
			if (percent > 0)
			{
				if (config->hard_bytes < 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("an advisory threshold given as a percentage needs a hard limit"),
							 errdetail("The threshold is \"%s\" and the quota has no hard limit in bytes.", item)));
				config->advisory_percent[config->nadvisory_percent++] = percent;
			}
			else
				config->advisory_bytes[config->nadvisory_bytes++] = bytes;
		}
		if (n == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("no advisory threshold in \"%s\"", text_to_cstring(PG_GETARG_TEXT_PP(advisoryarg))),
					 errhint("Pass NULL for none.")));
	}
	if (PG_ARGISNULL(enforcedarg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"enforced\" must not be null")));
	config->enforced = PG_GETARG_BOOL(enforcedarg);
}

/* An int8[] or float8[] of n values (NULL when n is 0: nulls[i] set) */
static Datum
limits_array(const void *elems, int n, Oid elemtype, char *isnull)
{
	Datum		datums[DQ_MAX_ADVISORY];
	int			i;

	*isnull = n == 0 ? 'n' : ' ';
	if (n == 0)
		return (Datum) 0;
	for (i = 0; i < n; i++)
		datums[i] = elemtype == INT8OID ? Int64GetDatum(((const int64 *) elems)[i]) :
			Float8GetDatum(((const double *) elems)[i]);
	return PointerGetDatum(construct_array(datums, n, elemtype, 8, FLOAT8PASSBYVAL,
										   TYPALIGN_DOUBLE));
}

/*
 * The values of the policy columns, in the order quota_config and
 * default_quota have them, into values/nulls (the limits' columns of
 * DQ_POLICY_COLUMNS: hard_unlimited and the notification columns left out,
 * which set_quota_notifications() sets) with their types.
 */
#define POLICY_ARGS 7
static void
policy_values(const QuotaArgs *args, Oid *types, Datum *values, char *nulls)
{
	const DiskquotaPolicyConfig *config = &args->config;
	Oid			policy_types[POLICY_ARGS] = {INT8OID, INT8OID, FLOAT8OID, INTERVALOID,
	INT8ARRAYOID, FLOAT8ARRAYOID, BOOLOID};

	memcpy(types, policy_types, sizeof(policy_types));
	memset(nulls, ' ', POLICY_ARGS);
	values[0] = Int64GetDatum(config->hard_bytes);
	nulls[0] = config->hard_bytes < 0 ? 'n' : ' ';
	values[1] = Int64GetDatum(config->soft_bytes);
	nulls[1] = config->soft_bytes < 0 ? 'n' : ' ';
	values[2] = Float8GetDatum(config->soft_percent);
	nulls[2] = config->soft_percent > 0 ? ' ' : 'n';
	values[3] = args->grace;
	nulls[3] = args->grace == (Datum) 0 ? 'n' : ' ';
	values[4] = limits_array(config->advisory_bytes, config->nadvisory_bytes, INT8OID, &nulls[4]);
	values[5] = limits_array(config->advisory_percent, config->nadvisory_percent, FLOAT8OID, &nulls[5]);
	values[6] = BoolGetDatum(config->enforced);
}

/*
 * diskquota.set_quota(target_type, target, hard, soft, grace, advisory,
 * tablespace, enforced): set the whole of a quota.
 */
Datum
diskquota_set_quota(PG_FUNCTION_ARGS)
{
	DiskquotaTarget target;
	QuotaArgs	args;
	Oid			types[5 + POLICY_ARGS + 1];
	Datum		values[5 + POLICY_ARGS + 1];
	char		nulls[5 + POLICY_ARGS + 1];
	bool		schema;

	diskquota_require_shmem();
	require_superuser();
	diskquota_target_args(fcinfo, 0, 1, 6, false, &target);
	quota_args(fcinfo, 2, 7, true, &args);
	schema = target.type == DQ_SCHEMA_QUOTA || target.type == DQ_SCHEMA_TABLESPACE_QUOTA;

	/* $1 type, $2 schema, $3 role, $4 tablespace, $5 unlimited, $6.. policy */
	memset(nulls, ' ', sizeof(nulls));
	types[0] = TEXTOID;
	values[0] = CStringGetTextDatum(diskquota_quota_type_name(target.type));
	types[1] = OIDOID;
	values[1] = ObjectIdGetDatum(target.oid);
	nulls[1] = schema ? ' ' : 'n';
	types[2] = OIDOID;
	values[2] = ObjectIdGetDatum(target.oid);
	nulls[2] = schema || target.type == DQ_DATABASE_QUOTA ? 'n' : ' ';
	types[3] = OIDOID;
	values[3] = ObjectIdGetDatum(target.spcoid);
	nulls[3] = OidIsValid(target.spcoid) ? ' ' : 'n';
	types[4] = BOOLOID;
	values[4] = BoolGetDatum(args.config.unlimited);
	policy_values(&args, types + 5, values + 5, nulls + 5);

	diskquota_execute_own_sql(psprintf("INSERT INTO %s (quota_type, schema_id, role_id, tablespace_oid,"
									   " tablespace_name, hard_unlimited, quota_in_bytes, soft_bytes,"
									   " soft_percent, grace, advisory_bytes, advisory_percent, enforced)"
									   " SELECT $1, $2::pg_catalog.regnamespace, $3::pg_catalog.regrole, $4,"
									   " (SELECT t.spcname FROM pg_catalog.pg_tablespace t"
									   "   WHERE t.oid OPERATOR(pg_catalog.=) $4),"
									   " $5, $6, $7, $8, $9, $10, $11, $12"
									   " ON CONFLICT ON CONSTRAINT quota_config_target_key DO UPDATE SET"
									   " hard_unlimited = EXCLUDED.hard_unlimited,"
									   " quota_in_bytes = EXCLUDED.quota_in_bytes,"
									   " soft_bytes = EXCLUDED.soft_bytes, soft_percent = EXCLUDED.soft_percent,"
									   " grace = EXCLUDED.grace, advisory_bytes = EXCLUDED.advisory_bytes,"
									   " advisory_percent = EXCLUDED.advisory_percent,"
									   " enforced = EXCLUDED.enforced",
									   diskquota_own_table_name("quota_config")),
							  5 + POLICY_ARGS, types, values, nulls);
	diskquota_wake_worker_at_commit();
	PG_RETURN_VOID();
}

/*
 * diskquota.remove_quota(target_type, target, tablespace): remove a quota
 * (a target under a default quota then has the default).  Removing a quota
 * that does not exist only says so.
 */
Datum
diskquota_remove_quota(PG_FUNCTION_ARGS)
{
	DiskquotaTarget target;
	Oid			types[3] = {TEXTOID, OIDOID, OIDOID};
	Datum		values[3];

	diskquota_require_shmem();
	require_superuser();
	diskquota_target_args(fcinfo, 0, 1, 2, true, &target);
	config_target_values(&target, values);
	if (diskquota_execute_own_sql(psprintf("DELETE FROM %s WHERE" CONFIG_TARGET,
										   diskquota_own_table_name("quota_config")),
								  3, types, values, NULL) == 0)
		ereport(NOTICE,
				(errmsg("there is no %s quota to remove", diskquota_quota_type_name(target.type))));
	diskquota_wake_worker_at_commit();
	PG_RETURN_VOID();
}

/*
 * diskquota.set_default_quota(target_type, hard, soft, grace, advisory,
 * tablespace, enforced): the quota of every schema or role (in a
 * tablespace) without one of its own.
 */
Datum
diskquota_set_default_quota(PG_FUNCTION_ARGS)
{
	DiskquotaQuotaType type;
	Oid			spcoid;
	QuotaArgs	args;
	Oid			types[2 + POLICY_ARGS];
	Datum		values[2 + POLICY_ARGS];
	char		nulls[2 + POLICY_ARGS];

	diskquota_require_shmem();
	require_superuser();
	type = target_type_arg(fcinfo, 0, true);
	spcoid = target_tablespace_arg(fcinfo, 5, type);
	quota_args(fcinfo, 1, 6, false, &args);

	memset(nulls, ' ', sizeof(nulls));
	types[0] = TEXTOID;
	values[0] = CStringGetTextDatum(diskquota_quota_type_name(type));
	types[1] = OIDOID;
	values[1] = ObjectIdGetDatum(spcoid);
	nulls[1] = OidIsValid(spcoid) ? ' ' : 'n';
	policy_values(&args, types + 2, values + 2, nulls + 2);

	diskquota_execute_own_sql(psprintf("INSERT INTO %s (quota_type, tablespace_oid, tablespace_name,"
									   " quota_in_bytes, soft_bytes, soft_percent, grace, advisory_bytes,"
									   " advisory_percent, enforced)"
									   " SELECT $1, $2,"
									   " (SELECT t.spcname FROM pg_catalog.pg_tablespace t"
									   "   WHERE t.oid OPERATOR(pg_catalog.=) $2),"
									   " $3, $4, $5, $6, $7, $8, $9"
									   " ON CONFLICT ON CONSTRAINT default_quota_target_key DO UPDATE SET"
									   " quota_in_bytes = EXCLUDED.quota_in_bytes,"
									   " soft_bytes = EXCLUDED.soft_bytes, soft_percent = EXCLUDED.soft_percent,"
									   " grace = EXCLUDED.grace, advisory_bytes = EXCLUDED.advisory_bytes,"
									   " advisory_percent = EXCLUDED.advisory_percent,"
									   " enforced = EXCLUDED.enforced",
									   diskquota_own_table_name("default_quota")),
							  2 + POLICY_ARGS, types, values, nulls);
	diskquota_wake_worker_at_commit();
	PG_RETURN_VOID();
}

/*
 * diskquota.remove_default_quota(target_type, tablespace): the targets it
 * applied to have no quota any more (but those with their own).
 */
Datum
diskquota_remove_default_quota(PG_FUNCTION_ARGS)
{
	DiskquotaQuotaType type;
	Oid			types[2] = {TEXTOID, OIDOID};
	Datum		values[2];

	diskquota_require_shmem();
	require_superuser();
	type = target_type_arg(fcinfo, 0, true);
	values[0] = CStringGetTextDatum(diskquota_quota_type_name(type));
	values[1] = ObjectIdGetDatum(target_tablespace_arg(fcinfo, 1, type));
	if (diskquota_execute_own_sql(psprintf("DELETE FROM %s"
										   " WHERE quota_type OPERATOR(pg_catalog.=) $1"
										   " AND coalesce(tablespace_oid, 0::pg_catalog.oid) OPERATOR(pg_catalog.=) $2",
										   diskquota_own_table_name("default_quota")),
								  2, types, values, NULL) == 0)
		ereport(NOTICE,
				(errmsg("there is no default %s quota to remove",
						diskquota_quota_type_name(type))));
	diskquota_wake_worker_at_commit();
	PG_RETURN_VOID();
}

/*
 * diskquota.extend_grace(target_type, target, until, tablespace): move the
 * end of a running grace period (earlier too), as setquota -T does.  The
 * worker refuses or lets in the target's loads by it at its next refresh.
 */
Datum
diskquota_extend_grace(PG_FUNCTION_ARGS)
{
	DiskquotaTarget target;
	Oid			types[4] = {TEXTOID, OIDOID, OIDOID, TIMESTAMPTZOID};
	Datum		values[4];

	diskquota_require_shmem();
	require_superuser();
	diskquota_target_args(fcinfo, 0, 1, 3, true, &target);
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"until\" must not be null")));
	values[0] = CStringGetTextDatum(diskquota_quota_type_name(target.type));
	values[1] = ObjectIdGetDatum(target.oid);
	values[2] = ObjectIdGetDatum(target.spcoid);
	values[3] = PG_GETARG_DATUM(2);
	if (diskquota_execute_own_sql(psprintf("UPDATE %s SET grace_expires_at = $4"
										   " WHERE quota_type OPERATOR(pg_catalog.=) $1"
										   " AND target_oid OPERATOR(pg_catalog.=) $2"
										   " AND tablespace_oid OPERATOR(pg_catalog.=) $3"
										   " AND over_soft_since IS NOT NULL",
										   diskquota_own_table_name("quota_state")),
								  4, types, values, NULL) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the %s quota is not in a grace period", diskquota_quota_type_name(target.type)),
				 errdetail("A grace period runs while usage is above the soft limit, from the worker's refresh that saw it go above."),
				 errhint("See view diskquota.quotas.")));
	diskquota_wake_worker_at_commit();
	PG_RETURN_VOID();
}

/*
 * diskquota.set_quota_notifications(target_type, target, notify,
 * reminder_interval, tablespace): whether the events of a quota's target
 * are logged, and its own reminder interval (NULL: the setting's); target
 * NULL sets those of the default quota of target_type.  The quota must
 * exist: the limits it keeps are not guessed.
 */
Datum
diskquota_set_quota_notifications(PG_FUNCTION_ARGS)
{
	Oid			types[5] = {TEXTOID, OIDOID, OIDOID, BOOLOID, INTERVALOID};
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	bool		of_default = PG_ARGISNULL(1);
	const char *type_name;
	uint64		updated;

	diskquota_require_shmem();
	require_superuser();
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"notify\" must not be null")));
	if (!PG_ARGISNULL(3))
	{
		Interval	zero;

		memset(&zero, 0, sizeof(zero));
		if (DatumGetInt32(DirectFunctionCall2(interval_cmp, PG_GETARG_DATUM(3),
											  IntervalPGetDatum(&zero))) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("reminder interval must not be negative"),
					 errhint("Use interval '0' for no reminders.")));
	}
	values[3] = PG_GETARG_DATUM(2);
	values[4] = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);
	nulls[4] = PG_ARGISNULL(3) ? 'n' : ' ';
	if (of_default)
	{
		DiskquotaQuotaType type = target_type_arg(fcinfo, 0, true);

		type_name = diskquota_quota_type_name(type);
		values[0] = CStringGetTextDatum(type_name);
		values[1] = ObjectIdGetDatum(target_tablespace_arg(fcinfo, 4, type));
		values[2] = (Datum) 0;
		nulls[2] = 'n';			/* $3 is not used */
		updated = diskquota_execute_own_sql(psprintf("UPDATE %s SET notify = $4, reminder_interval = $5"
													 " WHERE quota_type OPERATOR(pg_catalog.=) $1"
													 " AND coalesce(tablespace_oid, 0::pg_catalog.oid)"
													 " OPERATOR(pg_catalog.=) $2",
													 diskquota_own_table_name("default_quota")),
											5, types, values, nulls);
	}
	else
	{
		DiskquotaTarget target;

		diskquota_target_args(fcinfo, 0, 1, 4, true, &target);
		type_name = diskquota_quota_type_name(target.type);
		config_target_values(&target, values);
		updated = diskquota_execute_own_sql(psprintf("UPDATE %s SET notify = $4, reminder_interval = $5"
													 " WHERE" CONFIG_TARGET,
													 diskquota_own_table_name("quota_config")),
											5, types, values, nulls);
	}
	if (updated == 0 && of_default)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("there is no default %s quota", type_name),
				 errhint("Set the quota first with diskquota.set_default_quota().")));
	if (updated == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("there is no %s quota of \"%s\"", type_name,
						text_to_cstring(PG_GETARG_TEXT_PP(1))),
				 errhint("Set the quota first with diskquota.set_quota().")));
	diskquota_wake_worker_at_commit();
	PG_RETURN_VOID();
}
