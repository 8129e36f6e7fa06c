/*-------------------------------------------------------------------------
 *
 * events.c
 *		The event log: what happened to quotas, as rows of the extension's
 *		table events, each with a NOTIFY diskquota_events.
 *
 * The worker logs an event when a refresh decides a change of a target's
 * state (policy.c): a threshold reached or cleared, a grace period started,
 * expired or cleared, a hard limit reached or cleared.  It logs it in the
 * same subtransaction as the change it stores in quota_state, so that the
 * event and the stored state commit together: a restart, a crash or a new
 * worker neither repeats an event (the stored state says it fired) nor
 * loses one (nothing stored, nothing fired: the next refresh decides the
 * change again and fires it then).  The NOTIFY is sent in that transaction
 * too, so that listeners hear of an event when it is committed, and only
 * then; a listener catches up from the table by id.
 *
 * Retention: each refresh deletes up to DQ_EVENT_PURGE_BATCH events older
 * than diskquota.event_retention (an index probe on at when there are
 * none: diskquota_events_expired).
 *
 * System events have no target: worker_started, logged by a worker's
 * first refresh (quotamodel.c), and paused and resumed, logged by pause()
 * and resume() in the transaction that pauses or resumes (quotaconfig.c).
 *
 * The statement names the table by OID (ownobjects.c), qualifies every
 * function and cast, and builds the payload in SQL: the event's fields by
 * name, not OID, or (diskquota.notify_payload = id) its id only.
 *
 * This file owns no shared state.
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		events.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "commands/tablespace.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "diskquota_common.h"
#include "settings.h"
#include "ownobjects.h"
#include "quotamap.h"
#include "events.h"

/*
 * The name of a target (schema, role or database), by its kind; NULL if it
 * is gone: for the event log, the history and the quota requests.
 */
char	   *
diskquota_target_name(const DiskquotaTarget *target)
{
	switch ((DiskquotaQuotaType) target->type)
	{
		case DQ_SCHEMA_QUOTA:
		case DQ_SCHEMA_TABLESPACE_QUOTA:
			return get_namespace_name(target->oid);
		case DQ_ROLE_QUOTA:
		case DQ_ROLE_TABLESPACE_QUOTA:
			return GetUserNameFromId(target->oid, true);
		default:
			return get_database_name(target->oid);
	}
}

/*
 * Log one event in the table eventsrel and NOTIFY it.  The caller is
 * connected to SPI, in the (sub)transaction that stores the state the
 * event fires on.
 */
void
diskquota_event_log(Oid eventsrel, const DiskquotaEvent *event)
{
	Oid			argtypes[12] = {TEXTOID, TEXTOID, TEXTOID, OIDOID, NAMEOID, TEXTOID,
	INT8OID, INT8OID, TIMESTAMPTZOID, INT8OID, BOOLOID, JSONBOID};
	Datum		values[12];
	char		nulls[12];
	bool		system = event->target.type < 0;
	char	   *name = system ? NULL : diskquota_target_name(&event->target);
	char	   *spcname = OidIsValid(event->target.spcoid) ?
	get_tablespace_name(event->target.spcoid) : NULL;
	int			ret;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(event->event);
	values[1] = system ? (Datum) 0 :
		CStringGetTextDatum(diskquota_quota_type_name(event->target.type));
	nulls[1] = system ? 'n' : ' ';
	values[2] = name ? CStringGetTextDatum(name) : (Datum) 0;
	nulls[2] = name ? ' ' : 'n';
	values[3] = ObjectIdGetDatum(event->target.oid);
	nulls[3] = system ? 'n' : ' ';
	values[4] = spcname ? DirectFunctionCall1(namein, CStringGetDatum(spcname)) : (Datum) 0;
	nulls[4] = spcname ? ' ' : 'n';
	values[5] = event->threshold ? CStringGetTextDatum(event->threshold) : (Datum) 0;
	nulls[5] = event->threshold ? ' ' : 'n';
	values[6] = Int64GetDatum(event->limit_bytes);
	nulls[6] = event->limit_bytes >= 0 ? ' ' : 'n';
	values[7] = Int64GetDatum(event->used_bytes);
	nulls[7] = event->used_bytes >= 0 ? ' ' : 'n';
	values[8] = TimestampTzGetDatum(event->grace_expires_at);
	nulls[8] = event->grace_expires_at != 0 ? ' ' : 'n';
	values[9] = Int64GetDatum(event->count);
	values[10] = BoolGetDatum(diskquota_notify_payload == DQ_NOTIFY_FULL);
	values[11] = event->detail ?
		DirectFunctionCall1(jsonb_in, CStringGetDatum(event->detail)) : (Datum) 0;
	nulls[11] = event->detail ? ' ' : 'n';

	ret = diskquota_execute_internal(psprintf("WITH e AS ("
											  " INSERT INTO %s (at, event, target_type, target_name, target_oid,"
											  " tablespace_name, threshold, limit_bytes, used_bytes,"
											  " grace_expires_at, count, detail)"
											  " VALUES (pg_catalog.now(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
											  " $12)"
											  " RETURNING *)"
											  " SELECT pg_catalog.pg_notify('diskquota_events',"
											  " CASE WHEN $11 THEN pg_catalog.json_build_object("
											  "  'v', 1, 'id', e.id, 'at', e.at,"
											  "  'db', pg_catalog.current_database(), 'event', e.event,"
											  "  'target_type', e.target_type, 'target', e.target_name,"
											  "  'tablespace', e.tablespace_name, 'used_bytes', e.used_bytes,"
											  "  'limit_bytes', e.limit_bytes, 'threshold', e.threshold,"
											  "  'grace_expires_at', e.grace_expires_at, 'count', e.count,"
											  "  'detail', e.detail)::pg_catalog.text"
											  " ELSE e.id::pg_catalog.text END)"
											  " FROM e",
											  diskquota_qualified_name(eventsrel)),
									 12, argtypes, values, nulls);
	if (ret < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg_internal("could not log a diskquota event: %s",
								 SPI_result_code_string(ret))));
}

/*
 * Log an event from a SQL function, in the caller's transaction (so that
 * it commits with the change it tells of), if this version of the
 * extension has an event log.  The current user must be allowed to write
 * it: a superuser, or the extension's owner (diskquota_as_owner_begin()).
 */
void
diskquota_event_log_now(const DiskquotaEvent *event)
{
	Oid			eventsrel = diskquota_own_table(get_extension_oid(DISKQUOTA_EXTENSION_NAME, false),
												"events");
	int			nestlevel;

	if (!OidIsValid(eventsrel))
		return;
	nestlevel = diskquota_internal_sql_begin();
	SPI_connect();
	diskquota_event_log(eventsrel, event);
	SPI_finish();
	diskquota_internal_sql_end(nestlevel);
}

/* The oldest time an event is kept: now minus diskquota.event_retention */
static TimestampTz
retention_cutoff(void)
{
	return GetCurrentTimestamp() - (int64) diskquota_event_retention * USECS_PER_SEC;
}

/*
 * Has the event log events older than diskquota.event_retention (an index
 * probe)?  False when it keeps them all.  The caller is connected to SPI.
 */
bool
diskquota_events_expired(Oid eventsrel)
{
	Oid			argtypes[1] = {TIMESTAMPTZOID};
	Datum		values[1];
	bool		isnull;
	int			ret;

	if (diskquota_event_retention == 0 || !OidIsValid(eventsrel))
		return false;
	values[0] = TimestampTzGetDatum(retention_cutoff());
	ret = SPI_execute_with_args(psprintf("SELECT EXISTS (SELECT FROM %s"
										 " WHERE at OPERATOR(pg_catalog.<) $1)",
										 diskquota_qualified_name(eventsrel)),
								1, argtypes, values, NULL, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		return false;
	return DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
									  1, &isnull)) && !isnull;
}

/*
 * Delete the oldest events older than diskquota.event_retention, at most
 * DQ_EVENT_PURGE_BATCH of them: a long backlog is purged over several
 * refreshes, none of them long.  The caller is connected to SPI.
 */
void
diskquota_events_purge(Oid eventsrel)
{
	Oid			argtypes[2] = {TIMESTAMPTZOID, INT4OID};
	Datum		values[2];
	char	   *table = diskquota_qualified_name(eventsrel);
	int			ret;

	values[0] = TimestampTzGetDatum(retention_cutoff());
	values[1] = Int32GetDatum(DQ_EVENT_PURGE_BATCH);
	ret = diskquota_execute_internal(psprintf("DELETE FROM %s WHERE id OPERATOR(pg_catalog.=) ANY"
											  " (ARRAY(SELECT id FROM %s"
											  "  WHERE at OPERATOR(pg_catalog.<) $1"
											  "  ORDER BY at LIMIT $2))",
											  table, table),
									 2, argtypes, values, NULL);
	if (ret < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg_internal("could not purge diskquota events: %s",
								 SPI_result_code_string(ret))));
}
