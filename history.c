/*-------------------------------------------------------------------------
 *
 * history.c
 *		Usage history, over-use in megabyte-days, and the escalation
 *		level of repeat offenders, kept by the worker.
 *
 * At each refresh the worker hands every effective quota with its usage to
 * diskquota_history_apply(), before it decides where the target stands
 * (policy.c), which then reads the level this sets:
 *	- history: the usage is accumulated into the quota's bucket of
 *	  diskquota.history_interval (aligned on multiples of it since
 *	  2000-01-01 00:00 UTC): its highest value and its average weighted by
 *	  the time each value lasted between refreshes.  When a refresh falls
 *	  into a later bucket, the buckets that ended are written, one row per
 *	  quota, in one statement (usage_history); so the history costs one
 *	  small batch per bucket, not a write per refresh.
 *	- over-use: L is the soft limit, else the hard limit, else the lowest
 *	  advisory threshold (none: no over-use).  Over the time dt (in days)
 *	  since the last refresh, over-use becomes
 *	  overuse * overuse_decay ^ dt + max(0, usage - L) / 1 MiB * dt:
 *	  it decays continuously and grows by the megabytes over L times the
 *	  days they lasted, the usage of this refresh standing for the whole
 *	  interval.  days_over_30d counts the days (UTC) of the last 30 on which
 *	  a refresh saw the target over L.
 *	- level: 1 if days_over_30d > diskquota.frequent_overuse_days, plus 1
 *	  per diskquota.overuse_step megabyte-days of over-use.  A target of
 *	  level n whose grace period starts gets grace / 2^n, not below
 *	  diskquota.min_grace (nor above grace): diskquota_escalated_grace().
 * Over-use, the days over and the level are kept in quota_overuse, written
 * when a bucket ends and when a level changes (with the event escalation,
 * in the same subtransaction: it fires once), and read when the worker
 * starts: a restart continues them from their last write, the usage of
 * its first refresh standing for the time since.  What a bucket had
 * accumulated when the worker stopped is lost: the bucket's row holds what
 * the next worker saw of it.
 *
 * The worker's clock is the system's plus diskquota.test_clock_offset, a
 * setting for tests only, so that they can let days pass at once.
 *
 * This file owns no shared state: what it keeps is the worker's memory
 * (HistoryContext) for as long as the worker runs.
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		history.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/tablespace.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "diskquota_common.h"
#include "settings.h"
#include "ownobjects.h"
#include "quotamap.h"
#include "events.h"
#include "history.h"

/* The days of the last 30 a target was over its limit: at most 30 */
#define DQ_OVER_DAYS 30

/*
 * Over-use below this (megabyte-days) is not kept: decaying, it never
 * reaches 0, and its row would stay for ever
 */
#define DQ_OVERUSE_KEPT 0.001

typedef struct HistoryEntry
{
	DiskquotaTarget target;		/* hash key */
	bool		seen;			/* an effective quota at this refresh */
	/* over-use */
	double		overuse;		/* megabyte-days at updated_at */
	TimestampTz updated_at;		/* 0: not measured yet */
	int			nover_days;
	int32		over_days[DQ_OVER_DAYS];	/* days since 2000-01-01,
											 * ascending */
	int			level;
	int			stored_level;	/* as quota_overuse has it; -1: no row */
	bool		pending;		/* written by this transaction: */
	int			pending_level;	/* stored_level once it commits */
	int64		limit_bytes;	/* L at the last refresh; -1: none */
	bool		notify;			/* its quota's events are logged */
	int64		used_bytes;
	/* the bucket being accumulated */
	TimestampTz bucket_start;	/* 0: none */
	int64		max_used;
	double		integral;		/* bytes times microseconds */
	int64		covered_us;
	int64		last_used;
	TimestampTz last_at;
	/* a bucket that ended, to write */
	bool		ended;
	TimestampTz ended_start;
	int64		ended_max;
	int64		ended_avg;
	DiskquotaQuotaPolicy limits;	/* the limits in force at its end */
} HistoryEntry;

static MemoryContext HistoryContext = NULL;
static HTAB *HistoryState = NULL;
static bool history_loaded = false;
static TimestampTz current_bucket = 0;
static bool bucket_ended = false;
static bool level_changed = false;

/*
 * A store (diskquota_history_store) completed in the current transaction;
 * with the buckets that ended (store_all).  What it wrote is marked stored
 * in memory when the transaction commits (history_xact_callback): if it
 * does not (a lock timeout at its commit, such as on the NOTIFY lock its
 * escalation events take), nothing is marked, and the next refresh writes
 * the buckets, the over-use and the events again.
 */
static bool store_pending = false;
static bool store_all = false;

TimestampTz
diskquota_worker_clock(void)
{
	return GetCurrentTimestamp() + (int64) diskquota_test_clock_offset * USECS_PER_SEC;
}

/* The day (since 2000-01-01, UTC) of a time */
static int32
day_of(TimestampTz t)
{
	return (int32) (t >= 0 ? t / USECS_PER_DAY : -((-t - 1) / USECS_PER_DAY) - 1);
}

static HistoryEntry *
history_entry(const DiskquotaTarget *target)
{
	HistoryEntry *entry;
	bool		found;

	entry = hash_search(HistoryState, target, HASH_ENTER, &found);
	if (!found)
	{
		memset((char *) entry + sizeof(DiskquotaTarget), 0,
			   sizeof(*entry) - sizeof(DiskquotaTarget));
		entry->stored_level = -1;
		entry->limit_bytes = -1;
	}
	return entry;
}

/*
 * The first call of a worker reads quota_overuse (overuserel) into its
 * memory; each call marks every target not seen yet at this refresh.  The
 * caller is connected to SPI.
 */
void
diskquota_history_load(Oid overuserel)
{
	HASH_SEQ_STATUS status;
	HistoryEntry *entry;
	uint64		i;
	int			ret;

	if (HistoryState == NULL)
	{
		HASHCTL		ctl;

		HistoryContext = AllocSetContextCreate(TopMemoryContext,
											   "diskquota history",
											   ALLOCSET_SMALL_SIZES);
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(DiskquotaTarget);
		ctl.entrysize = sizeof(HistoryEntry);
		ctl.hcxt = HistoryContext;
		HistoryState = hash_create("diskquota history", 64, &ctl,
								   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	hash_seq_init(&status, HistoryState);
	while ((entry = hash_seq_search(&status)) != NULL)
		entry->seen = false;
	if (history_loaded || !OidIsValid(overuserel))
		return;

	ret = SPI_execute(psprintf("SELECT quota_type, target_oid, tablespace_oid,"
							   " overuse_mb_days, updated_at,"
							   " (SELECT pg_catalog.array_agg(d OPERATOR(pg_catalog.-) '2000-01-01'::pg_catalog.date"
							   "   ORDER BY d) FROM pg_catalog.unnest(over_days) d),"
							   " level FROM %s", diskquota_qualified_name(overuserel)),
					  true, 0);
	if (ret != SPI_OK_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg_internal("SPI_execute failed on table \"quota_overuse\": %s",
								 SPI_result_code_string(ret))));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Datum		d[7];
		bool		isnull[7];
		DiskquotaTarget key;
		int			type;
		int			j;

		for (j = 0; j < 7; j++)
			d[j] = SPI_getbinval(tuple, desc, j + 1, &isnull[j]);
		if (isnull[0] || isnull[1] || isnull[2] || isnull[3] || isnull[4])
			continue;
		type = diskquota_quota_type_of(TextDatumGetCString(d[0]));
		if (type < 0)
			continue;
		memset(&key, 0, sizeof(key));
		key.type = type;
		key.oid = DatumGetObjectId(d[1]);
		key.spcoid = DatumGetObjectId(d[2]);
		entry = history_entry(&key);
		/* a value no refresh writes (a restored row) is taken as none */
		entry->overuse = DatumGetFloat8(d[3]);
		if (!isfinite(entry->overuse) || entry->overuse < 0)
			entry->overuse = 0;
		entry->updated_at = DatumGetTimestampTz(d[4]);
		if (TIMESTAMP_NOT_FINITE(entry->updated_at))
			entry->updated_at = 0;
		entry->level = isnull[6] ? 0 : Min(Max(DatumGetInt32(d[6]), 0), 63);
		entry->stored_level = entry->level;
		if (!isnull[5])
		{
			Datum	   *elems;
			bool	   *nulls;
			int			n;

			deconstruct_array(DatumGetArrayTypeP(d[5]), INT4OID, 4, true,
							  TYPALIGN_INT, &elems, &nulls, &n);
			for (j = Max(n - DQ_OVER_DAYS, 0); j < n; j++)
			{
				if (!nulls[j])
					entry->over_days[entry->nover_days++] = DatumGetInt32(elems[j]);
			}
		}
	}
	/* only once it was read: a failed read is retried at the next refresh */
	history_loaded = true;
}

/* The limit over-use is measured against (see the header); -1: none */
static int64
overuse_limit(const DiskquotaQuotaPolicy *policy)
{
	if (policy->soft_bytes >= 0)
		return policy->soft_bytes;
	if (policy->hard_bytes >= 0)
		return policy->hard_bytes;
	if (policy->nadvisory > 0)
		return policy->advisory[0];
	return -1;
}

/* Has a target a record worth keeping: over-use, days over, a level? */
static bool
has_record(const HistoryEntry *entry)
{
	return entry->overuse >= DQ_OVERUSE_KEPT || entry->nover_days > 0 || entry->level > 0;
}

/*
 * The roles with a record (a role or role-tablespace target): a default
 * role quota applies to them also while they own no table (quotamodel.c),
 * so that a role that drops its tables while a bucket ends does not lose
 * its record of over-use, days over and level.  The caller frees the list.
 */
List	   *
diskquota_history_roles(void)
{
	HASH_SEQ_STATUS status;
	HistoryEntry *entry;
	List	   *roles = NIL;

	if (HistoryState == NULL)
		return NIL;
	hash_seq_init(&status, HistoryState);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if ((entry->target.type == DQ_ROLE_QUOTA ||
			 entry->target.type == DQ_ROLE_TABLESPACE_QUOTA) && has_record(entry))
			roles = lappend_oid(roles, entry->target.oid);
	}
	return roles;
}

/*
 * Account one refresh's usage of an effective quota at now (the worker's
 * clock): its bucket, its over-use and days over, and its level, which it
 * sets in quota->policy with them.
 */
void
diskquota_history_apply(DiskquotaQuotaInfo *quota, TimestampTz now)
{
	DiskquotaQuotaPolicy *policy = &quota->policy;
	HistoryEntry *entry = history_entry(&quota->target);
	int64		used = quota->used_bytes;
	int64		limit = overuse_limit(policy);
	int64		interval = (int64) diskquota_history_interval * USECS_PER_SEC;
	TimestampTz bucket = now - ((now % interval) + interval) % interval;
	int32		today = day_of(now);
	int			level;
	int			i;
	int			kept;

	entry->seen = true;

	/* over-use, decayed and grown over the time since the last refresh */
	if (entry->updated_at != 0 && now > entry->updated_at)
	{
		double		days = (double) (now - entry->updated_at) / USECS_PER_DAY;
		double		over = limit >= 0 && used > limit ?
		(double) (used - limit) / (1024.0 * 1024.0) : 0.0;

		entry->overuse = entry->overuse * pow(diskquota_overuse_decay, days) + over * days;
	}
	if (entry->updated_at == 0 || now > entry->updated_at)
		entry->updated_at = now;
	entry->limit_bytes = limit;
	entry->used_bytes = used;

	/* the days over the limit, of the last 30 */
	if (limit >= 0 && used > limit &&
		(entry->nover_days == 0 || entry->over_days[entry->nover_days - 1] < today))
	{
		if (entry->nover_days == DQ_OVER_DAYS)
		{
			memmove(entry->over_days, entry->over_days + 1,
					sizeof(int32) * (DQ_OVER_DAYS - 1));
			entry->nover_days--;
		}
		entry->over_days[entry->nover_days++] = today;
	}
	for (i = 0, kept = 0; i < entry->nover_days; i++)
	{
		if (entry->over_days[i] > today - DQ_OVER_DAYS)
			entry->over_days[kept++] = entry->over_days[i];
	}
	entry->nover_days = kept;

	level = (entry->nover_days > diskquota_frequent_overuse_days ? 1 : 0) +
		(int) Min(floor(entry->overuse / diskquota_overuse_step), 62.0);
	if (level != Max(entry->stored_level, 0))
		level_changed = true;
	entry->level = level;
	entry->notify = policy->notify;
	policy->overuse_mb_days = entry->overuse;
	policy->days_over_30d = entry->nover_days;
	policy->level = level;

	/* the bucket */
	if (entry->bucket_start != bucket)
	{
		if (entry->bucket_start != 0 && entry->bucket_start < bucket)
		{
			entry->ended = true;
			entry->ended_start = entry->bucket_start;
			entry->ended_max = entry->max_used;
			entry->ended_avg = entry->covered_us > 0 ?
				(int64) (entry->integral / entry->covered_us) : entry->last_used;
			entry->limits = *policy;
		}
		entry->bucket_start = bucket;
		entry->max_used = used;
		entry->integral = 0;
		entry->covered_us = 0;
	}
	else if (now > entry->last_at)
	{
		entry->integral += (double) entry->last_used * (now - entry->last_at);
		entry->covered_us += now - entry->last_at;
		entry->max_used = Max(entry->max_used, used);
	}
	entry->last_used = used;
	entry->last_at = now;

	if (current_bucket != bucket)
	{
		if (current_bucket != 0)
			bucket_ended = true;
		current_bucket = bucket;
	}
}

/* Is there anything to write (a bucket ended, a level changed)? */
bool
diskquota_history_due(void)
{
	return HistoryState != NULL && (bucket_ended || level_changed);
}

/* Run one of our statements, its parameters given */
static void
run(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls)
{
	int			ret = diskquota_execute_internal(sql, nargs, types, values, nulls);

	if (ret < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg_internal("could not run \"%s\": %s", sql,
								 SPI_result_code_string(ret))));
}

/* An array of n Datums of a type, by value or text */
static Datum
array_of(Datum *elems, bool *nulls, int n, Oid type)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1] = {n};
	int			lbs[1] = {1};

	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, type,
											  typlen, typbyval, typalign));
}

/*
 * Write the buckets that ended (usage_history), in one statement; returns
 * the number of rows
 */
static int
store_buckets(Oid historyrel)
{
	HASH_SEQ_STATUS status;
	HistoryEntry *entry;
	int			n = 0;
	int			size = hash_get_num_entries(HistoryState);
	Datum	   *cols[11];
	bool	   *nulls[11];
	Oid			types[11] = {TIMESTAMPTZOID, TEXTOID, OIDOID, OIDOID, TEXTOID, TEXTOID,
	INT8OID, INT8OID, INT8OID, INT8OID, TEXTOID};
	Datum		values[11];
	Oid			argtypes[11] = {TIMESTAMPTZARRAYOID, TEXTARRAYOID, OIDARRAYOID,
		OIDARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
	INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID};
	char	   *table = diskquota_qualified_name(historyrel);
	int			c;

	for (c = 0; c < 11; c++)
	{
		cols[c] = palloc(sizeof(Datum) * Max(size, 1));
		nulls[c] = palloc0(sizeof(bool) * Max(size, 1));
	}
	hash_seq_init(&status, HistoryState);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		char	   *name;
		char	   *spcname;
		StringInfoData advisory;
		int			i;

		if (!entry->ended)
			continue;
		name = diskquota_target_name(&entry->target);
		spcname = OidIsValid(entry->target.spcoid) ?
			get_tablespace_name(entry->target.spcoid) : NULL;
		cols[0][n] = TimestampTzGetDatum(entry->ended_start);
		cols[1][n] = CStringGetTextDatum(diskquota_quota_type_name(entry->target.type));
		cols[2][n] = ObjectIdGetDatum(entry->target.oid);
		cols[3][n] = ObjectIdGetDatum(entry->target.spcoid);
		cols[4][n] = name ? CStringGetTextDatum(name) : (Datum) 0;
		nulls[4][n] = name == NULL;
		cols[5][n] = spcname ? CStringGetTextDatum(spcname) : (Datum) 0;
		nulls[5][n] = spcname == NULL;
		cols[6][n] = Int64GetDatum(entry->ended_max);
		cols[7][n] = Int64GetDatum(entry->ended_avg);
		cols[8][n] = Int64GetDatum(entry->limits.hard_bytes);
		nulls[8][n] = entry->limits.hard_bytes < 0;
		cols[9][n] = Int64GetDatum(entry->limits.soft_bytes);
		nulls[9][n] = entry->limits.soft_bytes < 0;
		initStringInfo(&advisory);
		appendStringInfoChar(&advisory, '{');
		for (i = 0; i < entry->limits.nadvisory; i++)
			appendStringInfo(&advisory, "%s" INT64_FORMAT, i > 0 ? "," : "",
							 entry->limits.advisory[i]);
		appendStringInfoChar(&advisory, '}');
		cols[10][n] = CStringGetTextDatum(advisory.data);
		nulls[10][n] = entry->limits.nadvisory == 0;
		n++;
	}
	if (n == 0)
		return 0;
	for (c = 0; c < 11; c++)
		values[c] = array_of(cols[c], nulls[c], n, types[c]);
	run(psprintf("INSERT INTO %s (bucket_start, quota_type, target_oid, tablespace_oid,"
				 " target_name, tablespace_name, max_bytes, avg_bytes, hard_bytes,"
				 " soft_bytes, advisory_bytes)"
				 " SELECT b, t, o, s, n, sn::pg_catalog.name, mx, av, h, so,"
				 " a::pg_catalog.int8[]"
				 " FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
				 "  pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5),"
				 "  pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8),"
				 "  pg_catalog.unnest($9), pg_catalog.unnest($10), pg_catalog.unnest($11))"
				 "  AS r(b, t, o, s, n, sn, mx, av, h, so, a)"
				 " ON CONFLICT ON CONSTRAINT usage_history_key DO NOTHING", table),
		11, argtypes, values, NULL);
	return n;
}

/*
 * Delete a batch of buckets older than diskquota.history_retention: as
 * many rows as a bucket wrote (written) and DQ_HISTORY_PURGE_BATCH more, so
 * that the retention holds however many quotas there are
 */
static void
purge_buckets(Oid historyrel, TimestampTz now, int written)
{
	Oid			argtypes[2] = {TIMESTAMPTZOID, INT4OID};
	Datum		values[2];
	char	   *table = diskquota_qualified_name(historyrel);

	if (diskquota_history_retention == 0)
		return;
	values[0] = TimestampTzGetDatum(now - (int64) diskquota_history_retention * USECS_PER_SEC);
	values[1] = Int32GetDatum(DQ_HISTORY_PURGE_BATCH + written);
	run(psprintf("DELETE FROM %s WHERE ctid OPERATOR(pg_catalog.=) ANY"
				 " (ARRAY(SELECT ctid FROM %s WHERE bucket_start OPERATOR(pg_catalog.<) $1"
				 "  ORDER BY bucket_start LIMIT $2))", table, table),
		2, argtypes, values, NULL);
}

/* Log the event escalation of a target whose level changed */
static void
log_escalation(Oid eventsrel, const HistoryEntry *entry)
{
	DiskquotaEvent event;

	if (!OidIsValid(eventsrel) || !entry->notify)
		return;
	memset(&event, 0, sizeof(event));
	event.event = "escalation";
	event.target = entry->target;
	event.limit_bytes = entry->limit_bytes;
	event.used_bytes = entry->used_bytes;
	event.count = 1;
	event.detail = psprintf("{\"level\": %d, \"previous_level\": %d,"
							" \"overuse_mb_days\": %.6f, \"days_over_30d\": %d}",
							entry->level, Max(entry->stored_level, 0),
							entry->overuse, entry->nover_days);
	diskquota_event_log(eventsrel, &event);
}

/*
 * Write over-use, days over and levels (quota_overuse): the rows of every
 * target when a bucket ended (and delete those of targets without an
 * effective quota, or with nothing to keep), else those whose level
 * changed, each with its escalation event.
 */
static void
store_overuse(Oid overuserel, Oid eventsrel, bool all)
{
	HASH_SEQ_STATUS status;
	HistoryEntry *entry;
	char	   *table = diskquota_qualified_name(overuserel);
	Oid			argtypes[7] = {TEXTOID, OIDOID, OIDOID, FLOAT8OID, TIMESTAMPTZOID,
	INT4ARRAYOID, INT4OID};

	hash_seq_init(&status, HistoryState);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		Datum		values[7];
		Datum		days[DQ_OVER_DAYS];
		bool		keep = entry->seen && has_record(entry);
		int			i;

		if (!all && (!entry->seen || entry->level == Max(entry->stored_level, 0)))
			continue;
		values[0] = CStringGetTextDatum(diskquota_quota_type_name(entry->target.type));
		values[1] = ObjectIdGetDatum(entry->target.oid);
		values[2] = ObjectIdGetDatum(entry->target.spcoid);
		if (entry->seen && entry->level != Max(entry->stored_level, 0))
			log_escalation(eventsrel, entry);
		if (!keep)
		{
			if (entry->stored_level >= 0)
				run(psprintf("DELETE FROM %s WHERE quota_type OPERATOR(pg_catalog.=) $1"
							 " AND target_oid OPERATOR(pg_catalog.=) $2"
							 " AND tablespace_oid OPERATOR(pg_catalog.=) $3", table),
					3, argtypes, values, NULL);
			entry->pending = true;
			entry->pending_level = -1;
			continue;
		}
		values[3] = Float8GetDatum(entry->overuse);
		values[4] = TimestampTzGetDatum(entry->updated_at);
		for (i = 0; i < entry->nover_days; i++)
			days[i] = Int32GetDatum(entry->over_days[i]);
		values[5] = array_of(days, NULL, entry->nover_days, INT4OID);
		values[6] = Int32GetDatum(entry->level);
		run(psprintf("INSERT INTO %s (quota_type, target_oid, tablespace_oid,"
					 " overuse_mb_days, updated_at, over_days, level)"
					 " VALUES ($1, $2, $3, $4, $5,"
					 "  ARRAY(SELECT '2000-01-01'::pg_catalog.date OPERATOR(pg_catalog.+) d"
					 "   FROM pg_catalog.unnest($6) d), $7)"
					 " ON CONFLICT ON CONSTRAINT quota_overuse_key DO UPDATE SET"
					 " overuse_mb_days = EXCLUDED.overuse_mb_days,"
					 " updated_at = EXCLUDED.updated_at, over_days = EXCLUDED.over_days,"
					 " level = EXCLUDED.level", table),
			7, argtypes, values, NULL);
		entry->pending = true;
		entry->pending_level = entry->level;
	}
}

/* Forget what a store wrote: its transaction did not commit */
static void
discard_pending(void)
{
	HASH_SEQ_STATUS status;
	HistoryEntry *entry;

	store_pending = false;
	if (HistoryState == NULL)
		return;
	hash_seq_init(&status, HistoryState);
	while ((entry = hash_seq_search(&status)) != NULL)
		entry->pending = false;
}

/*
 * The transaction of a store ended: if it committed, mark what it wrote
 * stored, and forget the targets without an effective quota (when the
 * buckets that ended were written).
 */
static void
history_xact_callback(XactEvent event, void *arg)
{
	HASH_SEQ_STATUS status;
	HistoryEntry *entry;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT)
		return;
	if (event == XACT_EVENT_ABORT || !store_pending || HistoryState == NULL)
	{
		discard_pending();
		return;
	}
	hash_seq_init(&status, HistoryState);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (entry->pending)
			entry->stored_level = entry->pending_level;
		entry->pending = false;
		if (store_all)
		{
			entry->ended = false;
			if (!entry->seen)
				(void) hash_search(HistoryState, &entry->target, HASH_REMOVE, NULL);
		}
	}
	if (store_all)
		bucket_ended = false;
	level_changed = false;
	store_pending = false;
}

/*
 * Write what is due (diskquota_history_due): the buckets that ended and
 * the over-use of every target, or the levels that changed, with their
 * escalation events; forget the targets without an effective quota.  What
 * was written is marked so in memory when the transaction commits
 * (history_xact_callback), not before.  The caller is connected to SPI and
 * runs this in a subtransaction.
 */
void
diskquota_history_store(Oid historyrel, Oid overuserel, Oid eventsrel)
{
	static bool callback_registered = false;

	if (!diskquota_history_due() || !OidIsValid(historyrel) || !OidIsValid(overuserel))
		return;
	if (!callback_registered)
	{
		RegisterXactCallback(history_xact_callback, NULL);
		callback_registered = true;
	}
	PG_TRY();
	{
		if (bucket_ended)
		{
			int			written = store_buckets(historyrel);

			purge_buckets(historyrel, current_bucket, written);
		}
		store_overuse(overuserel, eventsrel, bucket_ended);
	}
	PG_CATCH();
	{
		discard_pending();
		PG_RE_THROW();
	}
	PG_END_TRY();
	store_pending = true;
	store_all = bucket_ended;
}

/*
 * The grace period of a target of escalation level `level` whose grace
 * period starts: grace / 2^level, not below diskquota.min_grace, nor above
 * grace.
 */
int64
diskquota_escalated_grace(int64 grace_us, int level)
{
	int64		min_us = Min((int64) diskquota_min_grace * USECS_PER_SEC, grace_us);

	if (level <= 0)
		return grace_us;
	return Max(level >= 62 ? 0 : grace_us >> level, min_us);
}
