/*-------------------------------------------------------------------------
 *
 * policy.c
 *		Quota policy: what a quota sets besides its hard limit, and where
 *		each target stands against it.
 *
 * A quota (a row of quota_config, or of default_quota for the targets
 * without one) has a hard limit, a soft limit with a grace period,
 * advisory thresholds, and whether it is enforced at all (an
 * accounting-only quota is not).  The soft limit and the thresholds may be
 * percentages of the hard limit; they are resolved to bytes at each
 * refresh, so that they follow the hard limit (diskquota_policy_resolve).
 *
 * At each refresh the worker decides, for every effective quota and from
 * its usage (diskquota_policy_apply), as Linux quota and OneFS do:
 *	- soft limit: when usage first goes above it, the grace period starts:
 *	  over_soft_since is now and grace_expires_at now plus the grace
 *	  period, stamped once (a longer grace period set later does not move
 *	  it; extend_grace() does).  When usage falls to or below it, both are
 *	  cleared: the timer resets, it does not pause.  Once the grace period
 *	  is over and usage is still above the soft limit, the target is
 *	  refused as over a hard limit.
 *	- advisory thresholds: each is reached when usage goes above it and
 *	  stays reached until usage falls below it minus
 *	  diskquota.advisory_hysteresis percent of it.  Nothing is refused.
 *	- state: hard (usage at or above the hard limit), grace_expired, soft
 *	  (in grace), advisory (a threshold reached) or under, in that order.
 *	  The target is refused (rejected in the quota map) if the quota is
 *	  enforced and its state is hard or grace_expired.
 * The grace timers, the reached thresholds and the state events last fired
 * on are kept in the extension's table quota_state (one row per target
 * above its soft or hard limit or past a threshold), which the worker reads
 * at each refresh
 * (diskquota_policy_state_load) and writes where a decision changed it
 * (diskquota_policy_state_store): a restart, a crash or a new worker
 * neither restarts nor forgets a grace period.  Each change stored is
 * logged as an event in the same subtransaction (events.c): an event fires
 * exactly once, with the state it fires on.  extend_grace()
 * (diskquota_utility.c) updates grace_expires_at of a row; the worker
 * writes only the columns its decisions change, so it does not undo that.
 * A change the worker decided but could not store (the transaction of its
 * refresh failed) is decided again at the next refresh: a grace period
 * then starts that much later.
 *
 * Reminders: while a target stays in a state other than under, a reminder
 * event comes every reminder interval (the quota's, else
 * diskquota.reminder_interval) after its last event, whose time is stored
 * in quota_state (notified_at), so that a restart neither repeats nor
 * skips one.  A quota whose notify is false logs no event at all; its
 * state is stored all the same.
 *
 * This file owns no shared state: the rows read at a refresh are the
 * worker's memory (PolicyContext) until the next one.
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		policy.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "diskquota_common.h"
#include "settings.h"
#include "ownobjects.h"
#include "quotamap.h"
#include "events.h"
#include "history.h"
#include "policy.h"

/* ----------------------------------------------------------------
 * Configured quotas
 * ----------------------------------------------------------------
 */

/* The bytes a percentage of a hard limit stands for (rounded down) */
int64
diskquota_percent_of(int64 hard_bytes, double percent)
{
	return (int64) floor((double) hard_bytes * percent / 100.0);
}

/* An interval in microseconds, months of 30 days; clamped to >= 0 */
static int64
interval_us(Interval *interval)
{
	double		us = (double) interval->time +
	(double) interval->day * USECS_PER_DAY +
	(double) interval->month * DAYS_PER_MONTH * USECS_PER_DAY;

	if (us < 0)
		return 0;
	if (us >= (double) (PG_INT64_MAX / 2))
		return PG_INT64_MAX / 2;
	return (int64) us;
}

/* The non-NULL elements of an int8[] or float8[], at most DQ_MAX_ADVISORY */
static int
array_elements(Datum array, Oid elemtype, Datum *out)
{
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	int			n = 0;
	int			i;

	deconstruct_array(DatumGetArrayTypeP(array), elemtype, 8, FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &elems, &nulls, &nelems);
	for (i = 0; i < nelems && n < DQ_MAX_ADVISORY; i++)
	{
		if (!nulls[i])
			out[n++] = elems[i];
	}
	return n;
}

/*
 * A quota as configured, from the DQ_POLICY_COLUMNS columns of a row
 * starting at column first: quota_in_bytes, hard_unlimited, soft_bytes,
 * soft_percent, grace, advisory_bytes, advisory_percent, enforced,
 * notify, reminder_interval (as
 * quota_config and default_quota have them; the worker selects constants
 * for the columns a version before 1.2 lacks).
 */
void
diskquota_policy_from_row(HeapTuple tuple, TupleDesc desc, int first,
						  DiskquotaPolicyConfig *config)
{
	Datum		d[DQ_POLICY_COLUMNS];
	bool		isnull[DQ_POLICY_COLUMNS];
	Datum		elems[DQ_MAX_ADVISORY];
	int			i;

	for (i = 0; i < DQ_POLICY_COLUMNS; i++)
		d[i] = SPI_getbinval(tuple, desc, first + i, &isnull[i]);

	memset(config, 0, sizeof(*config));
	config->hard_bytes = isnull[0] ? -1 : Max(DatumGetInt64(d[0]), 0);
	config->unlimited = !isnull[1] && DatumGetBool(d[1]);
	config->soft_bytes = isnull[2] ? -1 : Max(DatumGetInt64(d[2]), 0);
	config->soft_percent = isnull[3] ? 0 : DatumGetFloat8(d[3]);
	config->grace_us = isnull[4] ? -1 : interval_us(DatumGetIntervalP(d[4]));
	if (!isnull[5])
	{
		config->nadvisory_bytes = array_elements(d[5], INT8OID, elems);
		for (i = 0; i < config->nadvisory_bytes; i++)
			config->advisory_bytes[i] = DatumGetInt64(elems[i]);
	}
	if (!isnull[6])
	{
		config->nadvisory_percent = array_elements(d[6], FLOAT8OID, elems);
		for (i = 0; i < config->nadvisory_percent; i++)
			config->advisory_percent[i] = DatumGetFloat8(elems[i]);
	}
	config->enforced = isnull[7] || DatumGetBool(d[7]);
	config->notify = isnull[8] || DatumGetBool(d[8]);
	config->reminder_us = isnull[9] ? -1 : interval_us(DatumGetIntervalP(d[9]));
}

/* A quota with a hard limit only, as versions before 1.2 have them */
void
diskquota_policy_hard_only(int64 hard_bytes, DiskquotaPolicyConfig *config)
{
	memset(config, 0, sizeof(*config));
	config->hard_bytes = hard_bytes;
	config->soft_bytes = -1;
	config->grace_us = -1;
	config->enforced = true;
	config->notify = true;
	config->reminder_us = -1;
}

static int
cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * The limits of a quota in bytes: percentages of the hard limit resolved
 * (none without a hard limit), the grace period of diskquota.default_grace
 * where none is set, the advisory thresholds in ascending order without
 * duplicates.  Where the target stands is left as it was.
 */
void
diskquota_policy_resolve(const DiskquotaPolicyConfig *config,
						 DiskquotaQuotaPolicy *policy)
{
	int64		advisory[2 * DQ_MAX_ADVISORY];
	int			n = 0;
	int			i;

	policy->enforced = config->enforced;
	policy->unlimited = config->unlimited;
	policy->hard_bytes = config->unlimited ? -1 : config->hard_bytes;
	if (config->soft_bytes >= 0)
		policy->soft_bytes = config->soft_bytes;
	else if (config->soft_percent > 0 && policy->hard_bytes >= 0)
		policy->soft_bytes = diskquota_percent_of(policy->hard_bytes, config->soft_percent);
	else
		policy->soft_bytes = -1;
	policy->grace_us = config->grace_us >= 0 ? config->grace_us :
		(int64) diskquota_default_grace * USECS_PER_SEC;
	policy->notify = config->notify;
	policy->reminder_us = config->reminder_us >= 0 ? config->reminder_us :
		(int64) diskquota_reminder_interval * USECS_PER_SEC;

	for (i = 0; i < config->nadvisory_bytes; i++)
		advisory[n++] = config->advisory_bytes[i];
	for (i = 0; i < config->nadvisory_percent && policy->hard_bytes >= 0; i++)
		advisory[n++] = diskquota_percent_of(policy->hard_bytes,
											 config->advisory_percent[i]);
	qsort(advisory, n, sizeof(int64), cmp_int64);
	policy->nadvisory = 0;
	for (i = 0; i < n && policy->nadvisory < DQ_MAX_ADVISORY; i++)
	{
		if (policy->nadvisory == 0 ||
			advisory[i] != policy->advisory[policy->nadvisory - 1])
			policy->advisory[policy->nadvisory++] = advisory[i];
	}
}

/* ----------------------------------------------------------------
 * Where each target stands
 * ----------------------------------------------------------------
 */

/* The name of a state, as quota_state and diskquota.quotas have it */
const char *
diskquota_quota_state_name(uint8 state)
{
	switch ((DiskquotaQuotaState) state)
	{
		case DQ_STATE_ADVISORY:
			return "advisory";
		case DQ_STATE_SOFT:
			return "soft";
		case DQ_STATE_GRACE_EXPIRED:
			return "grace_expired";
		case DQ_STATE_HARD:
			return "hard";
		default:
			return "under";
	}
}

static uint8
quota_state_of(const char *name)
{
	uint8		state;

	for (state = DQ_STATE_UNDER; state <= DQ_STATE_HARD; state++)
	{
		if (strcmp(name, diskquota_quota_state_name(state)) == 0)
			return state;
	}
	return DQ_STATE_UNDER;
}

/* The stored and the decided state of one target */
typedef struct PolicyStateEntry
{
	DiskquotaTarget target;		/* hash key */
	bool		stored;			/* quota_state has a row for it */
	TimestampTz stored_since;
	TimestampTz stored_expires;
	int			nstored_latched;
	int64		stored_latched[DQ_MAX_ADVISORY];
	uint8		stored_state;	/* DiskquotaQuotaState events fired on */
	bool		stored_fired;	/* grace_expired fired for this period */
	bool		stored_warned;	/* grace_expiring fired for this period */
	TimestampTz stored_notified;	/* the last event's time, 0: none */
	bool		decided;		/* an effective quota at this refresh */
	TimestampTz decided_at;
	TimestampTz since;			/* 0: not above the soft limit */
	TimestampTz expires;
	int			nlatched;
	int64		latched[DQ_MAX_ADVISORY];
	bool		fired;			/* grace_expired fired for this period */
	bool		warned;			/* grace_expiring fired for this period */
	bool		remind;			/* a reminder is due */
	TimestampTz notified;		/* as stored: the last event's time */
	DiskquotaQuotaInfo quota;	/* as decided: limits, usage, state */
} PolicyStateEntry;

static MemoryContext PolicyContext = NULL;
static HTAB *PolicyState = NULL;

/*
 * Read quota_state (the extension's table staterel) into PolicyState.  The
 * caller is connected to SPI.  A row of a kind of target this version does
 * not know is left alone.
 */
void
diskquota_policy_state_load(Oid staterel)
{
	HASHCTL		ctl;
	uint64		i;
	int			ret;

	if (PolicyContext == NULL)
		PolicyContext = AllocSetContextCreate(TopMemoryContext,
											  "diskquota policy state",
											  ALLOCSET_SMALL_SIZES);
	MemoryContextReset(PolicyContext);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(DiskquotaTarget);
	ctl.entrysize = sizeof(PolicyStateEntry);
	ctl.hcxt = PolicyContext;
	PolicyState = hash_create("diskquota policy state", 64, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	if (!OidIsValid(staterel))
		return;

	ret = SPI_execute(psprintf("SELECT quota_type, target_oid, tablespace_oid,"
							   " over_soft_since, grace_expires_at, advisory_latched,"
							   " state, grace_expired_fired, grace_warned, notified_at"
							   " FROM %s", diskquota_qualified_name(staterel)),
					  true, 0);
	if (ret != SPI_OK_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg_internal("SPI_execute failed on table \"quota_state\": %s",
								 SPI_result_code_string(ret))));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull[10];
		Datum		d[10];
		DiskquotaTarget key;
		PolicyStateEntry *entry;
		Datum		elems[DQ_MAX_ADVISORY];
		int			type;
		int			j;

		for (j = 0; j < 10; j++)
			d[j] = SPI_getbinval(tuple, desc, j + 1, &isnull[j]);
		if (isnull[0] || isnull[1] || isnull[2])
			continue;
		type = diskquota_quota_type_of(TextDatumGetCString(d[0]));
		if (type < 0)
			continue;
		memset(&key, 0, sizeof(key));
		key.type = type;
		key.oid = DatumGetObjectId(d[1]);
		key.spcoid = DatumGetObjectId(d[2]);
		entry = hash_search(PolicyState, &key, HASH_ENTER, NULL);
		memset((char *) entry + sizeof(key), 0, sizeof(*entry) - sizeof(key));
		entry->stored = true;
		if (!isnull[3] && !isnull[4])
		{
			entry->stored_since = DatumGetTimestampTz(d[3]);
			entry->stored_expires = DatumGetTimestampTz(d[4]);
		}
		if (!isnull[5])
		{
			entry->nstored_latched = array_elements(d[5], INT8OID, elems);
			for (j = 0; j < entry->nstored_latched; j++)
				entry->stored_latched[j] = DatumGetInt64(elems[j]);
		}
		entry->stored_state = isnull[6] ? DQ_STATE_UNDER :
			quota_state_of(TextDatumGetCString(d[6]));
		entry->stored_fired = !isnull[7] && DatumGetBool(d[7]);
		entry->stored_warned = !isnull[8] && DatumGetBool(d[8]);
		entry->stored_notified = isnull[9] ? 0 : DatumGetTimestampTz(d[9]);
	}
}

static bool
was_latched(const PolicyStateEntry *entry, int64 threshold)
{
	int			i;

	for (i = 0; i < entry->nstored_latched; i++)
	{
		if (entry->stored_latched[i] == threshold)
			return true;
	}
	return false;
}

/*
 * Decide where the target of an effective quota stands (see the header),
 * from its usage and its stored state: sets quota->policy's state, timers
 * and reached thresholds, quota->rejected and the limit enforced,
 * quota->quota_bytes.  The limits must be resolved.
 */
void
diskquota_policy_apply(DiskquotaQuotaInfo *quota, TimestampTz now)
{
	DiskquotaQuotaPolicy *policy = &quota->policy;
	int64		used = quota->used_bytes;
	PolicyStateEntry *entry;
	bool		found;
	int			i;

	entry = hash_search(PolicyState, &quota->target, HASH_ENTER, &found);
	if (!found)
		memset((char *) entry + sizeof(DiskquotaTarget), 0,
			   sizeof(*entry) - sizeof(DiskquotaTarget));
	entry->decided = true;

	/* the soft limit's grace period: stamped once, cleared at or below */
	if (policy->soft_bytes >= 0 && used > policy->soft_bytes)
	{
		if (entry->stored_since != 0)
		{
			entry->since = entry->stored_since;
			entry->expires = entry->stored_expires;
		}
		else
		{
			/* a repeat offender gets less (history.c) */
			int64		grace = diskquota_escalated_grace(policy->grace_us, policy->level);

			entry->since = now;
			entry->expires = grace >= PG_INT64_MAX / 2 - now ? DT_NOEND : now + grace;
		}
	}
	else
	{
		entry->since = 0;
		entry->expires = 0;
	}

	/* advisory thresholds, with hysteresis */
	policy->latched = 0;
	entry->nlatched = 0;
	for (i = 0; i < policy->nadvisory; i++)
	{
		int64		threshold = policy->advisory[i];
		int64		clear_below = threshold -
		(int64) floor((double) threshold * diskquota_advisory_hysteresis / 100.0);

		if (used > threshold || (was_latched(entry, threshold) && used >= clear_below))
		{
			policy->latched |= (uint32) 1 << i;
			entry->latched[entry->nlatched++] = threshold;
		}
	}

	policy->over_soft_since = entry->since;
	policy->grace_expires_at = entry->expires;
	if (policy->hard_bytes >= 0 && used >= policy->hard_bytes)
		policy->state = DQ_STATE_HARD;
	else if (entry->since != 0 && now >= entry->expires)
		policy->state = DQ_STATE_GRACE_EXPIRED;
	else if (entry->since != 0)
		policy->state = DQ_STATE_SOFT;
	else if (policy->latched != 0)
		policy->state = DQ_STATE_ADVISORY;
	else
		policy->state = DQ_STATE_UNDER;

	quota->rejected = policy->enforced &&
		(policy->state == DQ_STATE_HARD || policy->state == DQ_STATE_GRACE_EXPIRED);
	quota->quota_bytes = policy->enforced ? policy->hard_bytes : -1;

	/* for the events of the changes (diskquota_policy_state_store) */
	entry->fired = entry->since != 0 && now >= entry->expires;
	entry->warned = entry->since != 0 &&
		entry->expires - now <= (int64) diskquota_grace_warn_before * USECS_PER_SEC;
	entry->quota = *quota;
	entry->decided_at = now;

	/*
	 * A reminder while the target stays where its last events left it: a
	 * change of state fires its own events instead, which the reminders then
	 * count from.
	 */
	entry->remind = entry->stored && policy->state != DQ_STATE_UNDER &&
		policy->state == entry->stored_state && policy->notify &&
		policy->reminder_us > 0 &&
		now - entry->stored_notified >= policy->reminder_us;
}

/* Does what was decided for a target differ from what is stored? */
static bool
latched_differs(const PolicyStateEntry *entry)
{
	return entry->nlatched != entry->nstored_latched ||
		memcmp(entry->latched, entry->stored_latched,
			   sizeof(int64) * entry->nlatched) != 0;
}

/*
 * Does a target need a row in quota_state: is it above its soft or hard
 * limit, or past a threshold?
 */
static bool
row_needed(const PolicyStateEntry *entry)
{
	return entry->decided &&
		(entry->since != 0 || entry->nlatched > 0 ||
		 entry->quota.policy.state == DQ_STATE_HARD);
}

/* Does what was decided for a target fire events (log_changes)? */
static bool
state_changed(const PolicyStateEntry *entry)
{
	if (!row_needed(entry))
		return entry->stored;
	return !entry->stored || entry->since != entry->stored_since ||
		latched_differs(entry) ||
		entry->quota.policy.state != entry->stored_state ||
		entry->fired != entry->stored_fired ||
		entry->warned != entry->stored_warned;
}

/* Is there anything to store for a target: a change, or a reminder? */
static bool
state_differs(const PolicyStateEntry *entry)
{
	return state_changed(entry) || (entry->remind && row_needed(entry));
}

/* Run one statement on quota_state with the key of entry as $1..$3 */
static void
state_statement(const char *sql, const PolicyStateEntry *entry)
{
	Oid			argtypes[10] = {TEXTOID, OIDOID, OIDOID, TIMESTAMPTZOID,
	TIMESTAMPTZOID, INT8ARRAYOID, TEXTOID, BOOLOID, BOOLOID, TIMESTAMPTZOID};
	Datum		values[10];
	char		nulls[10] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	Datum		elems[DQ_MAX_ADVISORY];
	int			i;
	int			ret;

	values[0] = CStringGetTextDatum(diskquota_quota_type_name(entry->target.type));
	values[1] = ObjectIdGetDatum(entry->target.oid);
	values[2] = ObjectIdGetDatum(entry->target.spcoid);
	values[3] = TimestampTzGetDatum(entry->since);
	values[4] = TimestampTzGetDatum(entry->expires);
	if (entry->since == 0)
		nulls[3] = nulls[4] = 'n';
	for (i = 0; i < entry->nlatched; i++)
		elems[i] = Int64GetDatum(entry->latched[i]);
	if (entry->nlatched > 0)
		values[5] = PointerGetDatum(construct_array(elems, entry->nlatched, INT8OID,
													8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	else
		nulls[5] = 'n';
	values[6] = CStringGetTextDatum(diskquota_quota_state_name(entry->quota.policy.state));
	values[7] = BoolGetDatum(entry->fired);
	values[8] = BoolGetDatum(entry->warned);
	values[9] = TimestampTzGetDatum(entry->notified);
	nulls[9] = entry->notified == 0 ? 'n' : ' ';
	ret = diskquota_execute_internal(sql, 10, argtypes, values, nulls);
	if (ret < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg_internal("could not run \"%s\": %s",
								 sql, SPI_result_code_string(ret))));
}

/* Did this refresh decide anything differently from what quota_state has? */
bool
diskquota_policy_state_changed(void)
{
	HASH_SEQ_STATUS status;
	PolicyStateEntry *entry;

	if (PolicyState == NULL)
		return false;
	hash_seq_init(&status, PolicyState);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (state_differs(entry))
		{
			hash_seq_term(&status);
			return true;
		}
	}
	return false;
}

/*
 * Log one event of a target (events.c), unless its quota's events are not
 * logged (notify false)
 */
static void
log_event(Oid eventsrel, const PolicyStateEntry *entry, const char *event,
		  const char *threshold, int64 limit_bytes)
{
	DiskquotaEvent ev;

	if (!OidIsValid(eventsrel) || !entry->quota.policy.notify)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.event = event;
	ev.target = entry->target;
	ev.threshold = threshold;
	ev.limit_bytes = limit_bytes;
	ev.used_bytes = entry->quota.used_bytes;
	ev.grace_expires_at = entry->expires;
	ev.count = 1;
	if (strcmp(event, "reminder") == 0)
		ev.detail = psprintf("{\"state\": \"%s\", \"level\": %d}",
							 diskquota_quota_state_name(entry->quota.policy.state),
							 entry->quota.policy.level);
	diskquota_event_log(eventsrel, &ev);
}

/*
 * A reminder: the target is still where its last events left it; it
 * tells the highest threshold the target is over
 */
static void
log_reminder(Oid eventsrel, const PolicyStateEntry *entry)
{
	const DiskquotaQuotaPolicy *policy = &entry->quota.policy;

	switch ((DiskquotaQuotaState) policy->state)
	{
		case DQ_STATE_HARD:
			log_event(eventsrel, entry, "reminder", "hard", policy->hard_bytes);
			break;
		case DQ_STATE_GRACE_EXPIRED:
		case DQ_STATE_SOFT:
			log_event(eventsrel, entry, "reminder", "soft", policy->soft_bytes);
			break;
		default:
			log_event(eventsrel, entry, "reminder", "advisory",
					  entry->nlatched > 0 ? entry->latched[entry->nlatched - 1] : -1);
			break;
	}
}

static bool
in_list(const int64 *list, int n, int64 value)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		if (list[i] == value)
			return true;
	}
	return false;
}

/*
 * The events of what a refresh decided for a target, against what
 * quota_state says its events last fired on (nothing for a target without
 * a row): advisory thresholds reached and cleared, a grace period started,
 * expired and cleared, a hard limit reached and cleared; each once.
 */
static void
log_changes(Oid eventsrel, const PolicyStateEntry *entry)
{
	const DiskquotaQuotaPolicy *policy = &entry->quota.policy;
	bool		was_hard = entry->stored_state == DQ_STATE_HARD;
	bool		is_hard = policy->state == DQ_STATE_HARD;
	int			i;

	/* on the way up: advisory, soft, grace, hard */
	for (i = 0; i < entry->nlatched; i++)
	{
		if (!in_list(entry->stored_latched, entry->nstored_latched, entry->latched[i]))
			log_event(eventsrel, entry, "advisory_exceeded", "advisory", entry->latched[i]);
	}
	if (entry->since != 0 && entry->stored_since == 0)
		log_event(eventsrel, entry, "soft_exceeded", "soft", policy->soft_bytes);
	if (entry->warned && !entry->fired &&
		!(entry->stored_warned && entry->since == entry->stored_since))
		log_event(eventsrel, entry, "grace_expiring", "soft", policy->soft_bytes);
	if (entry->fired && !(entry->stored_fired && entry->since == entry->stored_since))
		log_event(eventsrel, entry, "grace_expired", "soft", policy->soft_bytes);
	if (is_hard && !was_hard)
		log_event(eventsrel, entry, "hard_exceeded", "hard", policy->hard_bytes);

	/* on the way down: hard, soft, advisory */
	if (was_hard && !is_hard)
		log_event(eventsrel, entry, "hard_cleared", "hard", policy->hard_bytes);
	if (entry->since == 0 && entry->stored_since != 0)
		log_event(eventsrel, entry, "soft_cleared", "soft", policy->soft_bytes);
	for (i = entry->nstored_latched - 1; i >= 0; i--)
	{
		if (!in_list(entry->latched, entry->nlatched, entry->stored_latched[i]))
			log_event(eventsrel, entry, "advisory_cleared", "advisory",
					  entry->stored_latched[i]);
	}
}

/*
 * Store in quota_state what this refresh decided differently from what it
 * read: insert, update (only the columns that changed) or delete rows, and
 * delete the rows of targets without an effective quota now; log the
 * events of the changes in eventsrel in the same subtransaction, so that
 * they commit with the state they fire on (events.c).  The caller is
 * connected to SPI and runs this in a subtransaction.
 */
void
diskquota_policy_state_store(Oid staterel, Oid eventsrel)
{
	HASH_SEQ_STATUS status;
	PolicyStateEntry *entry;
	char	   *table;
	const char *key = " WHERE quota_type OPERATOR(pg_catalog.=) $1"
	" AND target_oid OPERATOR(pg_catalog.=) $2"
	" AND tablespace_oid OPERATOR(pg_catalog.=) $3";

	if (!OidIsValid(staterel) || PolicyState == NULL)
		return;
	table = diskquota_qualified_name(staterel);
	hash_seq_init(&status, PolicyState);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (!state_differs(entry))
			continue;
		entry->notified = entry->stored_notified;
		if (entry->decided && state_changed(entry))
		{
			log_changes(eventsrel, entry);
			entry->notified = entry->decided_at;
		}
		else if (entry->decided)
		{
			log_reminder(eventsrel, entry);
			entry->notified = entry->decided_at;
		}
		if (!row_needed(entry))
		{
			state_statement(psprintf("DELETE FROM %s%s", table, key), entry);
			continue;
		}
		if (!entry->stored)
		{
			state_statement(psprintf("INSERT INTO %s (quota_type, target_oid, tablespace_oid,"
									 " over_soft_since, grace_expires_at, advisory_latched,"
									 " state, grace_expired_fired, grace_warned, notified_at)"
									 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
									 " ON CONFLICT ON CONSTRAINT quota_state_key DO NOTHING",
									 table), entry);
			continue;
		}
		if (entry->since != entry->stored_since)
			state_statement(psprintf("UPDATE %s SET over_soft_since = $4,"
									 " grace_expires_at = $5%s", table, key), entry);
		if (latched_differs(entry))
			state_statement(psprintf("UPDATE %s SET advisory_latched = $6%s",
									 table, key), entry);
		if (entry->quota.policy.state != entry->stored_state ||
			entry->fired != entry->stored_fired ||
			entry->warned != entry->stored_warned)
			state_statement(psprintf("UPDATE %s SET state = $7, grace_expired_fired = $8,"
									 " grace_warned = $9%s",
									 table, key), entry);
		if (entry->notified != entry->stored_notified)
			state_statement(psprintf("UPDATE %s SET notified_at = $10%s",
									 table, key), entry);
	}
}
