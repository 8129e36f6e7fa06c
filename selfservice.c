/*-------------------------------------------------------------------------
 *
 * selfservice.c
 *		What tenants see of their own quotas and events, and their
 *		requests for more space.
 *
 * A target is a role's own when it is the role or a role it is a member
 * of, a schema it owns (or a role it has the privileges of owns), or the
 * current database (whose quota everyone in it shares).  Superusers own
 * every target.  my_quota_policies() (diskquota_utility.c) and the views
 * my_quotas, my_events and my_requests show a role its own targets only;
 * the role is the one calling (GetUserId()), so these functions are never
 * SECURITY DEFINER.
 *
 * Quota requests: a role asks for a new hard limit of one of its own
 * targets (request_quota()), may withdraw its pending requests
 * (withdraw_request()), sees them and those for its own schemas and roles
 * (not the database's: everyone's target, but the requests are each
 * requester's own), and superusers and the members of the role named
 * by diskquota.approver_role approve (the hard limit is set as asked) or
 * deny them.  The requests are rows of the extension's table
 * quota_requests, which no tenant may write: once a function has checked
 * what its caller may do, it writes as the extension's owner
 * (ownobjects.c), with the extension's fixed statements only.  Each step
 * logs an event (events.c) in the same transaction.  Request ids are
 * random, so that a tenant's own ids say nothing of the others' requests;
 * a request the caller may not see is reported as not existing.
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
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/tablespace.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "diskquota_common.h"
#include "settings.h"
#include "ownobjects.h"
#include "registry.h"
#include "quotamap.h"
#include "events.h"
#include "quotaconfig.h"
#include "selfservice.h"

/* Request ids are drawn from [1, DQ_REQUEST_ID_RANGE) */
#define DQ_REQUEST_ID_RANGE ((int64) 1 << 40)

/*
 * The longest reason or note, in bytes.  Both are stored in quota_requests
 * and in the events of the request (each step logs the reason again), by
 * statements that no quota refuses: unbounded, a tenant could fill the
 * disk through them.  And the NOTIFY of an event carries them (with
 * diskquota.notify_payload = full), which PostgreSQL refuses above 8000
 * bytes: a reason near that length made a request that could be made but
 * not withdrawn, approved or denied, which blocked its target's requests.
 * With control characters refused (JSON writes them as six bytes), a
 * reason and a note of this length keep the payload well under the limit.
 */
#define DQ_REQUEST_TEXT_MAX 1000

/* A request, as quota_requests holds it */
typedef struct QuotaRequest
{
	int64		id;
	char	   *state;
	DiskquotaTarget target;
	Oid			requester;
	char	   *requested_by;
	int64		current_hard_bytes; /* -1: none */
	int64		requested_hard_bytes;
	char	   *reason;
	char	   *target_name;	/* as when asked; NULL if unknown */
	char	   *tablespace_name;
} QuotaRequest;

PG_FUNCTION_INFO_V1(diskquota_target_is_mine_sql);
PG_FUNCTION_INFO_V1(diskquota_is_approver);
PG_FUNCTION_INFO_V1(diskquota_request_is_mine_sql);
PG_FUNCTION_INFO_V1(diskquota_request_quota);
PG_FUNCTION_INFO_V1(diskquota_withdraw_request);
PG_FUNCTION_INFO_V1(diskquota_approve_request);
PG_FUNCTION_INFO_V1(diskquota_deny_request);

/*
 * Is this target roleid's own (see the header comment)?  A schema that no
 * longer exists is nobody's but the superusers'.  A role's targets are
 * those of the roles it is a member of, as pg_has_role(..., 'MEMBER')
 * says (NOINHERIT too: it may SET ROLE to them), as for the readers of the
 * event log.
 */
static bool
role_owns_target(Oid roleid, const DiskquotaTarget *target)
{
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

/* Is this target the current role's own? */
bool
diskquota_target_is_mine(const DiskquotaTarget *target)
{
	return role_owns_target(GetUserId(), target);
}

/*
 * The target of the arguments target_type (0) and target_oid (1) of a SQL
 * function, as the tables events and quota_requests keep it; false for a
 * kind it does not know.
 */
static bool
target_of_args(FunctionCallInfo fcinfo, DiskquotaTarget *target)
{
	int			type = diskquota_quota_type_of(text_to_cstring(PG_GETARG_TEXT_PP(0)));

	memset(target, 0, sizeof(*target));
	target->type = type;
	target->oid = PG_GETARG_OID(1);
	return type >= 0;
}

/*
 * diskquota.target_is_mine(target_type, target_oid): the condition of the
 * view my_events.  False for a kind it does not know.
 */
Datum
diskquota_target_is_mine_sql(PG_FUNCTION_ARGS)
{
	DiskquotaTarget target;

	PG_RETURN_BOOL(target_of_args(fcinfo, &target) && diskquota_target_is_mine(&target));
}

/* Is the current role a superuser or a member of diskquota.approver_role? */
static bool
is_approver(void)
{
	Oid			role;

	if (superuser())
		return true;
	if (diskquota_approver_role == NULL || diskquota_approver_role[0] == '\0')
		return false;
	role = get_role_oid(diskquota_approver_role, true);
	return OidIsValid(role) && is_member_of_role(GetUserId(), role);
}

/* diskquota.is_approver(): may the current role decide requests? */
Datum
diskquota_is_approver(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(is_approver());
}

/* Append "key": value, a string quoted for JSON or null */
static void
json_text(StringInfo buf, const char *key, const char *value)
{
	appendStringInfo(buf, "%s\"%s\": ", buf->len > 1 ? ", " : "", key);
	if (value)
		escape_json(buf, value);
	else
		appendStringInfoString(buf, "null");
}

/* Append "key": number, or null for a negative one */
static void
json_bytes(StringInfo buf, const char *key, int64 value)
{
	appendStringInfo(buf, "%s\"%s\": ", buf->len > 1 ? ", " : "", key);
	if (value >= 0)
		appendStringInfo(buf, INT64_FORMAT, value);
	else
		appendStringInfoString(buf, "null");
}

/*
 * Log the event of a request: quota_requested, request_approved,
 * request_denied or request_withdrawn.  limit_bytes is the limit asked
 * for, used_bytes the target's usage as the worker last published it.
 */
static void
log_request_event(const char *name, const QuotaRequest *request,
				  const char *decided_by, const char *note)
{
	DiskquotaEvent event;
	DiskquotaQuotaInfo info;
	StringInfoData detail;

	initStringInfo(&detail);
	appendStringInfoChar(&detail, '{');
	appendStringInfo(&detail, "\"request_id\": " INT64_FORMAT, request->id);
	json_text(&detail, "requested_by", request->requested_by);
	appendStringInfo(&detail, ", \"requester_oid\": %u", request->requester);
	json_bytes(&detail, "current_hard_bytes", request->current_hard_bytes);
	json_bytes(&detail, "requested_hard_bytes", request->requested_hard_bytes);
	json_text(&detail, "reason", request->reason);
	if (decided_by)
	{
		json_text(&detail, "decided_by", decided_by);
		json_text(&detail, "note", note);
	}
	appendStringInfoChar(&detail, '}');

	memset(&event, 0, sizeof(event));
	event.event = name;
	event.target = request->target;
	event.limit_bytes = request->requested_hard_bytes;
	event.used_bytes = diskquota_target_info(MyDatabaseId, &request->target, &info) ?
		info.used_bytes : -1;
	event.count = 1;
	event.detail = detail.data;
	diskquota_event_log_now(&event);
}

/*
 * Read request id, locked FOR UPDATE NOWAIT, as the extension's owner:
 * of two decisions on one request, the second fails at once (55P03)
 * rather than wait for the first's transaction.  False if there is none.
 */
static bool
load_request(int64 id, QuotaRequest *request)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1];
	int			nestlevel;
	int			ret;
	bool		found;

	values[0] = Int64GetDatum(id);
	nestlevel = diskquota_internal_sql_begin();
	SPI_connect();
	ret = diskquota_execute_internal(psprintf("SELECT state, target_type, target_oid,"
											  " coalesce(tablespace_oid, 0::pg_catalog.oid),"
											  " requester_oid, requested_by::pg_catalog.text,"
											  " coalesce(current_hard_bytes, -1::pg_catalog.int8),"
											  " requested_hard_bytes, reason, target_name,"
											  " tablespace_name::pg_catalog.text"
											  " FROM %s WHERE id OPERATOR(pg_catalog.=) $1"
											  " FOR UPDATE NOWAIT",
											  diskquota_own_table_name("quota_requests")),
									 1, argtypes, values, NULL);
	if (ret != SPI_OK_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg_internal("could not read a quota request: %s",
								 SPI_result_code_string(ret))));
	found = SPI_processed > 0;
	if (found)
	{
		HeapTuple	tuple = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		memset(request, 0, sizeof(*request));
		request->id = id;
		request->state = MemoryContextStrdup(caller, SPI_getvalue(tuple, desc, 1));
		request->target.type = diskquota_quota_type_of(SPI_getvalue(tuple, desc, 2));
		request->target.oid = DatumGetObjectId(SPI_getbinval(tuple, desc, 3, &isnull));
		request->target.spcoid = DatumGetObjectId(SPI_getbinval(tuple, desc, 4, &isnull));
		request->requester = DatumGetObjectId(SPI_getbinval(tuple, desc, 5, &isnull));
		request->requested_by = MemoryContextStrdup(caller, SPI_getvalue(tuple, desc, 6));
		request->current_hard_bytes = DatumGetInt64(SPI_getbinval(tuple, desc, 7, &isnull));
		request->requested_hard_bytes = DatumGetInt64(SPI_getbinval(tuple, desc, 8, &isnull));
		request->reason = MemoryContextStrdup(caller, SPI_getvalue(tuple, desc, 9));
		request->target_name = SPI_getvalue(tuple, desc, 10);
		if (request->target_name)
			request->target_name = MemoryContextStrdup(caller, request->target_name);
		request->tablespace_name = SPI_getvalue(tuple, desc, 11);
		if (request->tablespace_name)
			request->tablespace_name = MemoryContextStrdup(caller, request->tablespace_name);
	}
	SPI_finish();
	diskquota_internal_sql_end(nestlevel);
	return found;
}

/*
 * May the current role see a request: one it made (or a role it has the
 * privileges of made), or one for its own schema or role?  The database
 * is everyone's target, but its requests are their requesters' only.
 */
static bool
request_is_mine(const DiskquotaTarget *target, Oid requester)
{
	if (OidIsValid(requester) &&
		SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(requester)) &&
		has_privs_of_role(GetUserId(), requester))
		return true;
	return target->type != DQ_DATABASE_QUOTA && diskquota_target_is_mine(target);
}

/*
 * diskquota.request_is_mine(target_type, target_oid, requester_oid): the
 * condition of the view my_requests, and of my_events for the events of
 * requests.
 */
Datum
diskquota_request_is_mine_sql(PG_FUNCTION_ARGS)
{
	DiskquotaTarget target;

	PG_RETURN_BOOL(target_of_args(fcinfo, &target) &&
				   request_is_mine(&target, PG_GETARG_OID(2)));
}

/*
 * The request named by the argument, pending.  Not found: one the caller
 * may not see is reported as not existing, so that ids tell nothing; a
 * request the caller sees but did not make may not be withdrawn by it
 * (42501).
 */
static void
pending_request(FunctionCallInfo fcinfo, bool decide, QuotaRequest *request)
{
	int64		id;
	bool		found;
	Oid			save_userid;
	int			save_sec;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"id\" must not be null")));
	id = PG_GETARG_INT64(0);
	diskquota_as_owner_begin(&save_userid, &save_sec);
	found = load_request(id, request);
	diskquota_as_owner_end(save_userid, save_sec);
	/* checked as the caller */
	if (found && !decide)
		found = request_is_mine(&request->target, request->requester);
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("quota request %lld does not exist", (long long) id),
				 errhint("See view diskquota.my_requests.")));
	if (!decide && !has_privs_of_role(GetUserId(), request->requester))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to withdraw quota request %lld", (long long) id),
				 errdetail("Only the role that made a request may withdraw it.")));
	if (strcmp(request->state, "pending") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("quota request %lld is %s, not pending", (long long) id,
						request->state)));
}

/* Close a pending request: its state, who decided, when, and the note */
static void
close_request(const QuotaRequest *request, const char *state, const char *decided_by,
			  const char *note)
{
	Oid			argtypes[4] = {INT8OID, TEXTOID, NAMEOID, TEXTOID};
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};

	values[0] = Int64GetDatum(request->id);
	values[1] = CStringGetTextDatum(state);
	values[2] = DirectFunctionCall1(namein, CStringGetDatum(decided_by));
	values[3] = note ? CStringGetTextDatum(note) : (Datum) 0;
	nulls[3] = note ? ' ' : 'n';
	diskquota_execute_own_sql(psprintf("UPDATE %s SET state = $2, decided_by = $3,"
									   " decided_at = pg_catalog.now(), note = $4"
									   " WHERE id OPERATOR(pg_catalog.=) $1",
									   diskquota_own_table_name("quota_requests")),
							  4, argtypes, values, nulls);
}

/*
 * A reason or a note ("what"): at most DQ_REQUEST_TEXT_MAX bytes, and no
 * control character but tab, newline and carriage return.
 */
static char *
request_text(const char *what, text *value)
{
	char	   *s = text_to_cstring(value);
	const unsigned char *p;

	if (strlen(s) > DQ_REQUEST_TEXT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("the %s is too long: at most %d bytes", what, DQ_REQUEST_TEXT_MAX)));
	for (p = (const unsigned char *) s; *p; p++)
	{
		if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the %s must not contain control characters", what),
					 errdetail("Tab, newline and carriage return are allowed.")));
	}
	return s;
}

/* The argument note, NULL or its text */
static char *
note_arg(FunctionCallInfo fcinfo, int argno, bool required)
{
	if (PG_ARGISNULL(argno))
	{
		if (required)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument \"note\" must not be null"),
					 errhint("Tell the tenant why.")));
		return NULL;
	}
	return request_text("note", PG_GETARG_TEXT_PP(argno));
}

/*
 * diskquota.request_quota(target_type, target, hard, reason, tablespace):
 * ask for a new hard limit of one of the caller's own targets.  At most
 * one request per requester and target is pending, and a role that is no
 * superuser makes at most diskquota.max_requests_per_day in 24 hours.
 * Returns the request's id.
 */
Datum
diskquota_request_quota(PG_FUNCTION_ARGS)
{
	QuotaRequest request;
	DiskquotaQuotaInfo info;
	Oid			argtypes[10] = {INT8OID, NAMEOID, OIDOID, TEXTOID, OIDOID, OIDOID,
	INT8OID, INT8OID, INT8OID, TEXTOID};
	Datum		values[10];
	char		nulls[10];
	Oid			save_userid;
	int			save_sec;
	int			attempt;
	bool		known;

	diskquota_require_shmem();
	diskquota_target_args(fcinfo, 0, 1, 4, true, &request.target);
	if (!diskquota_target_is_mine(&request.target))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to request a quota for this %s",
						diskquota_quota_type_name(request.target.type)),
				 errdetail("A role may ask for the quotas it sees in diskquota.my_quotas: its own, its roles', its schemas' and its database's.")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"hard\" must not be null")));
	request.requested_hard_bytes = DatumGetInt64(DirectFunctionCall1(pg_size_bytes,
																	 PG_GETARG_DATUM(2)));
	if (request.requested_hard_bytes <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the hard limit asked for must be positive: \"%s\"",
						text_to_cstring(PG_GETARG_TEXT_PP(2)))));
	if (PG_ARGISNULL(3) || strspn(text_to_cstring(PG_GETARG_TEXT_PP(3)), " \t\r\n") ==
		VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(3)))
		ereport(ERROR,
				(errcode(PG_ARGISNULL(3) ? ERRCODE_NULL_VALUE_NOT_ALLOWED :
						 ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a quota request needs a reason"),
				 errhint("Tell the approvers why the target needs more space.")));
	request.reason = request_text("reason", PG_GETARG_TEXT_PP(3));
	request.requester = GetUserId();
	request.requested_by = GetUserNameFromId(request.requester, false);
	request.state = "pending";
	known = diskquota_target_info(MyDatabaseId, &request.target, &info);
	request.current_hard_bytes = known ? info.policy.hard_bytes : -1;

	memset(nulls, ' ', sizeof(nulls));
	values[1] = DirectFunctionCall1(namein, CStringGetDatum(request.requested_by));
	values[2] = ObjectIdGetDatum(request.requester);
	values[3] = CStringGetTextDatum(diskquota_quota_type_name(request.target.type));
	values[4] = ObjectIdGetDatum(request.target.oid);
	values[5] = ObjectIdGetDatum(request.target.spcoid);
	nulls[5] = OidIsValid(request.target.spcoid) ? ' ' : 'n';
	values[6] = Int64GetDatum(request.current_hard_bytes);
	nulls[6] = request.current_hard_bytes >= 0 ? ' ' : 'n';
	values[7] = Int64GetDatum(known ? info.used_bytes : 0);
	nulls[7] = known ? ' ' : 'n';
	values[8] = Int64GetDatum(request.requested_hard_bytes);
	values[9] = CStringGetTextDatum(request.reason);

	/*
	 * The requests of one requester are made one at a time, to the end of
	 * their transactions: two sessions (or a transaction prepared meanwhile)
	 * each counting the other's requests but not its uncommitted ones made
	 * both pass the checks below.  The lock is the requester's own (a tag no
	 * SQL command takes), taken under the caller's lock_timeout; and the
	 * checks read the requests committed until then, whatever the
	 * transaction's snapshot.
	 */
	LockDatabaseObject(diskquota_own_table_oid("quota_requests"), request.requester, 0,
					   ExclusiveLock);
	diskquota_as_owner_begin(&save_userid, &save_sec);

	/*
	 * What a role may write into our tables is bounded.  By the clock, not
	 * now(): a request made in a transaction begun long ago would be dated
	 * then, and counted for less of the 24 hours.
	 */
	if (!superuser_arg(save_userid) &&
		diskquota_count_own_rows_now(psprintf("SELECT FROM %s"
											  " WHERE requester_oid OPERATOR(pg_catalog.=) $3"
											  " AND requested_at OPERATOR(pg_catalog.>)"
											  " (pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-)"
											  " '24 hours'::pg_catalog.interval)",
											  diskquota_own_table_name("quota_requests")),
									 10, argtypes, values, nulls) >= (uint64) diskquota_max_requests_per_day)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many quota requests"),
				 errdetail("A role may make %d requests in 24 hours (diskquota.max_requests_per_day).",
						   diskquota_max_requests_per_day)));
	/* one pending request per requester and target (a unique index behind) */
	if (diskquota_count_own_rows_now(psprintf("SELECT FROM %s"
											  " WHERE state OPERATOR(pg_catalog.=) 'pending'"
											  " AND requester_oid OPERATOR(pg_catalog.=) $3"
											  " AND target_type OPERATOR(pg_catalog.=) $4"
											  " AND target_oid OPERATOR(pg_catalog.=) $5"
											  " AND coalesce(tablespace_oid, 0::pg_catalog.oid)"
											  " OPERATOR(pg_catalog.=) coalesce($6, 0::pg_catalog.oid)",
											  diskquota_own_table_name("quota_requests")),
									 10, argtypes, values, nulls) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a request of yours for this %s quota is already pending",
						diskquota_quota_type_name(request.target.type)),
				 errhint("Withdraw it with diskquota.withdraw_request() to ask again.")));
	for (attempt = 0;; attempt++)
	{
		uint64		random;

		if (!pg_strong_random(&random, sizeof(random)))
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not generate a random request id")));
		request.id = (int64) (random % (uint64) (DQ_REQUEST_ID_RANGE - 1)) + 1;
		values[0] = Int64GetDatum(request.id);
		if (diskquota_execute_own_sql(psprintf("INSERT INTO %s (id, requested_by, requester_oid,"
											   " target_type, target_oid, tablespace_oid,"
											   " current_hard_bytes, used_bytes,"
											   " requested_hard_bytes, reason, target_name,"
											   " tablespace_name, requested_at)"
											   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
											   " %s, (SELECT t.spcname FROM pg_catalog.pg_tablespace t"
											   " WHERE t.oid OPERATOR(pg_catalog.=) $6),"
											   " pg_catalog.clock_timestamp())"
											   " ON CONFLICT (id) DO NOTHING",
											   diskquota_own_table_name("quota_requests"),
											   request.target.type == DQ_SCHEMA_QUOTA ||
											   request.target.type == DQ_SCHEMA_TABLESPACE_QUOTA ?
											   "(SELECT n.nspname::pg_catalog.text FROM pg_catalog.pg_namespace n"
											   " WHERE n.oid OPERATOR(pg_catalog.=) $5)" :
											   request.target.type == DQ_DATABASE_QUOTA ?
											   "pg_catalog.current_database()::pg_catalog.text" :
											   "(SELECT r.rolname::pg_catalog.text FROM pg_catalog.pg_roles r"
											   " WHERE r.oid OPERATOR(pg_catalog.=) $5)"),
									  10, argtypes, values, nulls) > 0)
			break;
		if (attempt >= 100)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not find a free request id")));
	}
	log_request_event("quota_requested", &request, NULL, NULL);
	diskquota_as_owner_end(save_userid, save_sec);
	PG_RETURN_INT64(request.id);
}

/*
 * Close a pending request as the extension's owner, and log its event
 * (request_withdrawn, request_approved or request_denied).  The caller has
 * checked that the current role may.
 */
static void
decide_request(const QuotaRequest *request, const char *state, const char *note)
{
	char	   *me = GetUserNameFromId(GetUserId(), false);
	Oid			save_userid;
	int			save_sec;

	diskquota_as_owner_begin(&save_userid, &save_sec);
	if (strcmp(state, "approved") == 0)
		diskquota_store_hard_limit(&request->target, request->requested_hard_bytes);
	close_request(request, state, me, note);
	log_request_event(psprintf("request_%s", state), request, me, note);
	diskquota_as_owner_end(save_userid, save_sec);
}

/*
 * diskquota.withdraw_request(id): the requester (or a role with its
 * privileges) withdraws a pending request.
 */
Datum
diskquota_withdraw_request(PG_FUNCTION_ARGS)
{
	QuotaRequest request;

	diskquota_require_shmem();
	pending_request(fcinfo, false, &request);
	decide_request(&request, "withdrawn", NULL);
	PG_RETURN_VOID();
}

/* Superusers and the members of diskquota.approver_role only */
static void
require_approver(const char *what)
{
	if (!is_approver())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s quota requests", what),
				 errdetail("Only superusers and the members of the role named by diskquota.approver_role may.")));
}

/*
 * May the current role approve this request?  Its target must be the one
 * asked for (same name, still there: not one that took its OID since),
 * still the requester's own (its owner or membership may have changed
 * since), and the approver, unless a superuser, not the requester (nor
 * one of its roles): first-line support does not approve its own asks.
 */
static void
check_approvable(const QuotaRequest *request)
{
	char	   *name = diskquota_target_name(&request->target);
	char	   *spcname = OidIsValid(request->target.spcoid) ?
	get_tablespace_name(request->target.spcoid) : NULL;

	if (name == NULL || (OidIsValid(request->target.spcoid) && spcname == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the %s of quota request %lld no longer exists",
						diskquota_quota_type_name(request->target.type),
						(long long) request->id),
				 errhint("Deny the request.")));
	if (request->target_name == NULL || strcmp(name, request->target_name) != 0 ||
		(spcname && (request->tablespace_name == NULL ||
					 strcmp(spcname, request->tablespace_name) != 0)) ||
		!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(request->requester)) ||
		!role_owns_target(request->requester, &request->target))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the target of quota request %lld changed since it was asked for",
						(long long) request->id),
				 errdetail("It was renamed or replaced, or is no longer its requester's own."),
				 errhint("Deny the request.")));
	if (!superuser() && has_privs_of_role(GetUserId(), request->requester))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to approve a quota request of your own"),
				 errdetail("Another approver, or a superuser, decides it.")));
}

/*
 * diskquota.approve_request(id, note): set the hard limit as asked (the
 * rest of the quota kept, as set_schema_quota() does, or that of the
 * default quota the target was under) and close the request.
 */
Datum
diskquota_approve_request(PG_FUNCTION_ARGS)
{
	QuotaRequest request;

	diskquota_require_shmem();
	require_approver("approve");
	pending_request(fcinfo, true, &request);
	check_approvable(&request);
	decide_request(&request, "approved", note_arg(fcinfo, 1, false));
	PG_RETURN_VOID();
}

/* diskquota.deny_request(id, note): close the request, saying why */
Datum
diskquota_deny_request(PG_FUNCTION_ARGS)
{
	QuotaRequest request;
	char	   *note;

	diskquota_require_shmem();
	require_approver("deny");
	note = note_arg(fcinfo, 1, true);
	pending_request(fcinfo, true, &request);
	decide_request(&request, "denied", note);
	PG_RETURN_VOID();
}
