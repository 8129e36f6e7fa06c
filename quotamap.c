/*-------------------------------------------------------------------------
 *
 * quotamap.c
 *		The shared quota map: for every quota of every monitored database,
 *		its usage and whether it is exceeded, as the database's worker last
 *		published them.
 *
 * Written by the workers (quotamodel.c publishes each refresh's figures),
 * read by enforcement (enforcement.c), by the launcher for stale
 * databases, and by the quota views.  When the map is full, exceeded
 * quotas take the room of entries that refuse nothing, and explicit
 * exceeded quotas that of exceeded quotas from default quotas
 * (diskquota_publish_quotas).
 *
 * Shared state: QuotaMap (fixed-size hash keyed by database and target:
 * quota type, schema/role/database OID, tablespace OID) and QuotaMapHeader;
 * ChargedMap, the high-water marks of the relations running statements
 * measure (see "Each byte charged once"), under ChargedLock.
 *
 * Locking: QuotaMapHeader->lock protects QuotaMap and every entry's fields
 * (charged and charged_at_start as told under "Headroom and charges").
 * The worker takes it exclusive once per refresh to publish its database's
 * entries; backends take it shared for a lookup or a copy.  It is held for
 * no longer than one pass over the map and never together with another
 * diskquota lock.  nrejected counts, over all databases, the rejected
 * entries plus the entries whose headroom running statements used up
 * (charged_full, see below); it is changed with the lock held exclusive,
 * except that a backend holding it shared adds one when it sets an entry's
 * charged_full, and it is read without the lock by backends as a fast
 * path: when it reads zero nothing is rejected or used up.
 * A backend that reads a value just before the worker publishes a new
 * rejection behaves as if its statement had started a moment earlier.
 * diskquota_any_rejected() also reads DiskquotaShared->nstale: while a
 * database is stale (registry.c), its targets that have an entry in the
 * map count as rejected (all of them if it has none yet).
 * reject_epoch is advanced, with the lock held exclusive, each time an
 * entry becomes rejected, and the entry's rejected_at set to the new
 * value; backends read it without the lock when their statement's slot
 * overflows (backendslot.c): a rejection published after that read has a
 * larger rejected_at.
 *
 * Quota policy (policy.c): the worker publishes with each entry where its
 * target stands (DiskquotaQuotaPolicy: state, soft limit, grace timer,
 * advisory thresholds), which readers copy; rejected is set by the worker
 * for an enforced quota over its hard limit or over its soft limit after
 * the grace period.  ningrace counts the entries of enforced quotas in
 * grace (state soft); it is changed with the lock held exclusive, like
 * nrejected, and read without the lock by backends as a fast path: when
 * it reads zero, no statement looks for a target in grace to tell its
 * writer.  An entry that enforces no hard limit (none, or accounting only)
 * and is not rejected charges nothing: statements neither measure for it
 * nor are stopped by it (charges false); while its database is stale it
 * counts as rejected only if it enforces a hard or soft limit (enforcing).
 *
 * Refusals (events write_denied and load_stopped): a backend about to
 * raise a quota error adds one to its target's counter refusals[kind], an
 * atomic, holding the lock shared (diskquota_count_refusal): an accepted
 * statement never touches it.  The worker of the entry's database alone
 * writes refusals_logged and refusals_logged_at, holding the lock shared
 * too (diskquota_refusals_due, diskquota_refusals_logged); the counters
 * start at zero with the entry, so they count since the server started or
 * the quota was set.
 *
 * Headroom and charges (diskquota.self_charge): each entry also holds the
 * headroom the worker computed at its last publication (quota - usage, 0
 * when exceeded) and charged, the bytes that running statements measured
 * themselves writing into the target since then (selfcharge.c).  A
 * backend adds to charged, an atomic, holding the lock shared
 * (diskquota_charge_headroom), and stops its statement when charged
 * reaches the headroom; so concurrent statements into one target share
 * its headroom.  The worker remains the authority, and its publication
 * must neither count twice what a backend charged and the worker's stat()
 * also saw, nor lose what the stat() did not see.  The protocol:
 *	1. Before the refresh sizes anything (before it drains the active map
 *	   and the feed), the worker records in each entry of its database
 *	   charged_at_start, the value of charged at that moment
 *	   (diskquota_headroom_sizing_starts, lock shared: only the worker of
 *	   the entry's database reads or writes charged_at_start, and entries
 *	   are removed only with the lock exclusive).
 *	2. At publication (lock exclusive: no charge is added meanwhile) it
 *	   sets the new headroom and subtracts charged_at_start from charged:
 *	   what was charged before the sizing started is in the new usage
 *	   (the growth a backend charges happened before it measured it, so
 *	   before the worker's stat() of the file), and what was charged since
 *	   stays charged, since the stat() may have been too early to see it.
 * A backend charges only what it measured, after the growth happened; the
 * worker re-sizes at each refresh every file a running statement writes
 * whose growth can have been charged (the feed reports them, or, without
 * the feed and for temporary relations, the slots name them:
 * quotamodel.c).  So nothing charged is lost, and the error is one-sided:
 * bytes that grew before the worker's stat() but were charged after its
 * step 1 are counted twice until the next publication.  Per writing
 * statement that is at most what it wrote from its last poll before step
 * 1 to the stat() (one diskquota.load_check_interval plus the refresh's
 * sizing time); so a statement may be stopped that much before its target
 * truly reaches the quota, never later than it would be by the headroom.
 * An entry inserted by a publication starts with nothing charged.
 *
 * Reservations (pacing only): each entry also holds reserved, an atomic:
 * the bytes running statements expect to write before their next
 * measurement.  A backend adds its reservation at a poll and takes it back
 * (never below zero) at its next measurement or when its statement stops
 * measuring, its error and its backend's exit included
 * (diskquota_reserve_headroom, lock shared).  The headroom left that a
 * statement sizes its next rows by (diskquota_targets_headroom,
 * diskquota_charge_headroom) is the headroom minus charged minus reserved,
 * so concurrent statements do not each size their rows by the same
 * headroom (selfcharge.c).  Nothing is stopped or refused for reserved
 * bytes, and the worker neither reads nor changes them: the protocol above
 * is unchanged.  An entry inserted by a publication starts with nothing
 * reserved, and a give-back to it does not go below zero; a reservation
 * not given back (none is known) would only make statements into its target
 * measure more often, never stop them.
 *
 * Used-up headroom refuses new statements at once: the backend whose
 * charge makes charged reach the headroom of an entry that is not rejected
 * sets the entry's charged_full (an atomic, 0 to 1 by compare-and-swap,
 * lock shared) and, only if it made that change, adds one to nrejected.
 * From then on the checks before a statement starts
 * (diskquota_refused_target) refuse the target as if it were rejected, so
 * a statement that starts after a running one used up the headroom is not
 * let in until the worker has sized what was written.  The worker and the
 * launcher, which stop running statements, look at rejected entries only
 * (diskquota_rejected_target).  At publication (lock exclusive: no backend
 * changes charged_full meanwhile) the worker sets charged_full anew, to
 * whether what stays charged after step 2 reaches the new headroom of an
 * entry that is not rejected, adjusting nrejected by the change; removing
 * an entry subtracts its rejected and charged_full from nrejected.  So
 * nrejected always equals the number of rejected entries plus the number
 * of charged_full ones, and a backend that reads it just before a
 * charge sets charged_full behaves as if its statement had started a moment
 * earlier.  charged_full is never set on a rejected entry.
 *
 * Each byte charged once (the charged-relation map): a statement does not
 * charge what it sees a relation grow, but what it sees it grow past the
 * relation's high-water mark, the size it had at the last measurement of
 * any statement.  ChargedMap (fixed-size hash of DQ_CHARGED_MAP_SIZE
 * entries keyed by database and relation OID) holds, per relation that
 * running statements measure, how many of them do (refcount) and, per fork,
 * its mark in blocks (hwm).  Every measurement is taken with ChargedLock
 * held exclusive: the lseek() of each fork (smgrnblocks) and the update of
 * the marks are one step, so the measurements of all backends are ordered
 * as the sizes truly were.  A statement that starts measuring a relation
 * acquires it (diskquota_charged_rel_acquire): the first creates the entry
 * with the sizes it measures as the marks; the others only count themselves
 * in.  At each measurement (diskquota_charged_rel_measure) it sets each
 * fork's mark to the size now and charges by how much that raised it.
 * When it stops measuring (its end, its error, its backend's exit) it
 * releases the relation; the last one removes the entry.  ChargedLock is
 * never held with another diskquota lock.
 *	- Never twice: each rise of a mark is charged by the one measurement
 *	  that made it, and marks follow the size, so what is charged for a fork
 *	  over an entry's life is what it grew, counted from its lowest size
 *	  since.  Two statements writing one table, or one statement writing it
 *	  through several data-modifying CTEs, split its growth.
 *	- Never lost: what grew above the mark while an entry exists is charged
 *	  by the next measurement of any statement holding it, and a statement
 *	  that completes measures when it ends, before it releases; so the last
 *	  holder to complete charges whatever is left.  A relation that shrank
 *	  (TRUNCATE, VACUUM's truncation, a rewrite, while a holder whose lock
 *	  went with a rolled-back subtransaction keeps the entry) is measured
 *	  below its mark: the mark comes down to the size, at a measurement or
 *	  when a statement acquires it, so its growth back up is charged again.
 *	  (TRUNCATE and rewrites give the relation new files: a holder that
 *	  finds them charges all they hold if its transaction made them, and
 *	  the marks come down to them: selfcharge.c, renewed_relation_growth.)  Not charged (the
 *	  worker counts it at its next refresh, as without self-charging): what
 *	  the statements that fail wrote after their last measurement when no
 *	  holder measures after them; what a fork found after the entry was
 *	  created grew before it was found (selfcharge.c).
 *	- Writers that do not hold the entry (bounded INSERTs, statements with
 *	  self-charging off, loads only the worker stops) grow the relation too;
 *	  a holder charges that growth at its next measurement, and the worker
 *	  counts it as well: the one-sided error above (stop early, never late),
 *	  as each statement charged all it saw before this map existed.
 *	- A relation that shrinks and grows back between two measurements (in
 *	  place: only a table truncated in the subtransaction that created it,
 *	  or VACUUM's truncation while no holder keeps a lock) is charged from
 *	  its old mark: its regrowth up to the mark goes uncharged.  The bytes
 *	  under the mark were charged before the shrink and stay charged until
 *	  the worker's next publication, so nothing is lost unless that
 *	  publication falls between the shrink and the regrowth; then the
 *	  worker's next refresh counts the regrowth, as without self-charging
 *	  (once per relation: the measurement after it lowers or passes the
 *	  mark).
 *	- Full map: a statement that cannot acquire a relation measures it by
 *	  itself (its own sizes at its previous measurement), charging all its
 *	  growth, other statements' included, which they charge too: it can
 *	  only be stopped early, never late.
 * Charges still follow the growth they measure, so the protocol with the
 * worker above holds unchanged.  An entry goes only when its last holder
 * releases it; the holders lock the relation, so it is not dropped
 * meanwhile (a crash re-creates shared memory).
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		quotamap.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/smgr.h"
#include "utils/hsearch.h"

#include "diskquota_common.h"
#include "settings.h"
#include "registry.h"
#include "quotamap.h"

/* ----------------------------------------------------------------
 * Shared quota map
 * ----------------------------------------------------------------
 */

/* The quota_type of quota_config for a kind of target */
const char *
diskquota_quota_type_name(int type)
{
	switch ((DiskquotaQuotaType) type)
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

/* The kind of target a quota_type names; -1 if none */
int
diskquota_quota_type_of(const char *name)
{
	int			type;

	for (type = 0; type < DQ_NUM_QUOTA_TYPES; type++)
	{
		if (strcmp(name, diskquota_quota_type_name(type)) == 0)
			return type;
	}
	return -1;
}


typedef struct QuotaMapKey
{
	Oid			dbid;
	DiskquotaTarget target;
} QuotaMapKey;

typedef struct QuotaMapEntry
{
	QuotaMapKey key;
	int64		quota_bytes;
	int64		used_bytes;
	bool		rejected;
	bool		seen;			/* worker's mark during publication */
	uint64		rejected_at;	/* reject_epoch when it became rejected */
	int64		headroom;		/* quota - usage at publication, >= 0 */
	pg_atomic_uint64 charged;	/* bytes charged by statements since */
	uint64		charged_at_start;	/* charged when the worker's sizing
									 * started (worker only) */
	pg_atomic_uint32 charged_full;	/* 1: charged reached the headroom */
	pg_atomic_uint64 reserved;	/* bytes statements expect to write before
								 * their next charge (pacing only) */
	bool		charges;		/* statements charge it: it enforces a hard
								 * limit, or is rejected */
	bool		enforcing;		/* it enforces a hard or a soft limit */
	DiskquotaQuotaPolicy policy;	/* for readers only */
	pg_atomic_uint64 refusals[DQ_REFUSAL_KINDS];	/* statements refused,
													 * stopped */
	uint64		refusals_logged[DQ_REFUSAL_KINDS];	/* of them, in events
													 * (worker only) */
	TimestampTz refusals_logged_at[DQ_REFUSAL_KINDS];	/* the last such event's */
} QuotaMapEntry;

typedef struct QuotaMapHeader
{
	LWLock	   *lock;
	pg_atomic_uint32 nrejected;
	pg_atomic_uint64 reject_epoch;	/* advanced by each new rejection */
	pg_atomic_uint32 ningrace;	/* entries of enforced quotas in grace */
} QuotaMapHeader;

static QuotaMapHeader *QuotaHeader = NULL;
static HTAB *QuotaMap = NULL;

Size
diskquota_quota_shmem_size(void)
{
	return add_size(MAXALIGN(sizeof(QuotaMapHeader)),
					hash_estimate_size(diskquota_max_quotas, sizeof(QuotaMapEntry)));
}

/* Called from the shmem startup hook, with AddinShmemInitLock held. */
void
diskquota_quota_shmem_init(void)
{
	HASHCTL		ctl;
	bool		found;

	QuotaHeader = ShmemInitStruct("diskquota quota map header",
								  sizeof(QuotaMapHeader), &found);
	if (!found)
	{
		QuotaHeader->lock = &(GetNamedLWLockTranche("diskquota"))[DQ_LWLOCK_QUOTA].lock;
		pg_atomic_init_u32(&QuotaHeader->nrejected, 0);
		pg_atomic_init_u64(&QuotaHeader->reject_epoch, 0);
		pg_atomic_init_u32(&QuotaHeader->ningrace, 0);
	}

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(QuotaMapKey);
	ctl.entrysize = sizeof(QuotaMapEntry);
	QuotaMap = ShmemInitHash("diskquota quota map",
							 diskquota_max_quotas, diskquota_max_quotas,
							 &ctl, HASH_ELEM | HASH_BLOBS | HASH_FIXED_SIZE);
}

/* Does an entry count in ningrace: an enforced quota in its grace period */
static inline bool
in_grace(const QuotaMapEntry *entry)
{
	return entry->policy.enforced && entry->policy.state == DQ_STATE_SOFT;
}

/*
 * An entry is removed: it no longer counts in nrejected and ningrace.  The
 * caller holds the lock exclusive.
 */
static void
forget_rejected(QuotaMapEntry *entry)
{
	uint32		n = (entry->rejected ? 1 : 0) +
	pg_atomic_read_u32(&entry->charged_full);

	if (n > 0)
		pg_atomic_fetch_sub_u32(&QuotaHeader->nrejected, n);
	if (in_grace(entry))
		pg_atomic_fetch_sub_u32(&QuotaHeader->ningrace, 1);
}

/* Is any target rejected, in any database?  Lock-free; see header. */
bool
diskquota_any_rejected(void)
{
	return QuotaHeader != NULL &&
		(pg_atomic_read_u32(&QuotaHeader->nrejected) > 0 || diskquota_any_stale());
}

/*
 * Is one target of a database rejected (with any_quota: has it a quota)?
 * The caller holds the lock.
 */
static bool
target_quota(Oid dbid, DiskquotaQuotaType type, Oid oid, Oid spcoid,
			 bool any_quota, bool charged_too, DiskquotaTarget *target)
{
	QuotaMapKey key;
	QuotaMapEntry *entry;

	memset(&key, 0, sizeof(key));
	key.dbid = dbid;
	key.target.type = type;
	key.target.oid = oid;
	key.target.spcoid = spcoid;
	entry = hash_search(QuotaMap, &key, HASH_FIND, NULL);
	if (entry == NULL ||
		!(entry->rejected || (any_quota && entry->enforcing) ||
		  (charged_too && pg_atomic_read_u32(&entry->charged_full) != 0)))
		return false;
	*target = key.target;
	return true;
}

/*
 * Is a target that a write into the files of a relation is charged to
 * rejected (with any_quota: has it a quota): its schema (InvalidOid for
 * none), its owner, either of them in the tablespace of the files, or the
 * database?  With tablespace_only, the quotas of the schema and the owner
 * in that tablespace only.  Sets *target to the first one found.
 */
static bool
targets_with_quota(Oid dbid, Oid nspoid, Oid owner, Oid spcoid,
				   bool tablespace_only, bool any_quota, bool charged_too,
				   DiskquotaTarget *target)
{
	bool		result = false;

	LWLockAcquire(QuotaHeader->lock, LW_SHARED);
	if (OidIsValid(nspoid))
		result = (!tablespace_only &&
				  target_quota(dbid, DQ_SCHEMA_QUOTA, nspoid, InvalidOid, any_quota, charged_too, target)) ||
			(OidIsValid(spcoid) &&
			 target_quota(dbid, DQ_SCHEMA_TABLESPACE_QUOTA, nspoid, spcoid, any_quota, charged_too, target));
	if (!result && OidIsValid(owner))
		result = (!tablespace_only &&
				  target_quota(dbid, DQ_ROLE_QUOTA, owner, InvalidOid, any_quota, charged_too, target)) ||
			(OidIsValid(spcoid) &&
			 target_quota(dbid, DQ_ROLE_TABLESPACE_QUOTA, owner, spcoid, any_quota, charged_too, target));
	if (!result && !tablespace_only)
		result = target_quota(dbid, DQ_DATABASE_QUOTA, dbid, InvalidOid, any_quota, charged_too, target);
	LWLockRelease(QuotaHeader->lock);
	return result;
}

/*
 * While the database is stale (its worker has not been refreshing it for
 * DQ_STALE_MS: registry.c), every target with a quota in the map counts
 * as rejected; every target, reported as the database, if the worker never
 * published a refresh and the extension exists in the database.
 */
static bool
rejected_target(Oid dbid, Oid nspoid, Oid owner, Oid spcoid,
				bool tablespace_only, bool charged_too, DiskquotaTarget *target)
{
	int			staleness;

	if (!diskquota_any_rejected())
		return false;
	if (pg_atomic_read_u32(&QuotaHeader->nrejected) > 0 &&
		targets_with_quota(dbid, nspoid, owner, spcoid, tablespace_only, false,
						   charged_too, target))
		return true;
	if (!diskquota_any_stale())
		return false;
	staleness = diskquota_database_staleness(dbid, NULL, NULL);
	if (staleness == DQ_FRESH)
		return false;
	if (staleness == DQ_STALE_UNKNOWN)
	{
		/*
		 * Nothing known of the quotas: every load, if the extension is there
		 * (a listed database without it has nothing to enforce). Only a
		 * backend of the database can tell: the launcher does not stop
		 * statements for that.
		 */
		if (dbid != MyDatabaseId || !IsTransactionState() ||
			!OidIsValid(get_extension_oid(DISKQUOTA_EXTENSION_NAME, true)))
			return false;
		memset(target, 0, sizeof(*target));
		target->type = DQ_DATABASE_QUOTA;
		target->oid = dbid;
		return true;
	}
	return targets_with_quota(dbid, nspoid, owner, spcoid, tablespace_only, true,
							  charged_too, target);
}


/*
 * Is a target a write into these files is charged to rejected, as the
 * worker published it?  For the worker and the launcher, which stop the
 * statements writing into it.
 */
bool
diskquota_rejected_target(Oid dbid, Oid nspoid, Oid owner, Oid spcoid,
						  bool tablespace_only, DiskquotaTarget *target)
{
	return rejected_target(dbid, nspoid, owner, spcoid, tablespace_only, false,
						   target);
}

/*
 * The same, counting also the targets whose headroom running statements
 * used up since the worker's last publication (charged_full): for the
 * checks of a statement before it starts.
 */
bool
diskquota_refused_target(Oid dbid, Oid nspoid, Oid owner, Oid spcoid,
						 bool tablespace_only, DiskquotaTarget *target)
{
	return rejected_target(dbid, nspoid, owner, spcoid, tablespace_only, true,
						   target);
}

/*
 * The rejection epoch: it advances each time a target of any database
 * becomes rejected.  Lock-free.
 */
uint64
diskquota_reject_epoch(void)
{
	return QuotaHeader == NULL ? 0 : pg_atomic_read_u64(&QuotaHeader->reject_epoch);
}

/*
 * Did a target of this database become rejected after the rejection epoch
 * was "epoch"?  Sets *target to one of them.
 */
bool
diskquota_newly_rejected(uint64 epoch, DiskquotaTarget *target)
{
	HASH_SEQ_STATUS status;
	QuotaMapEntry *entry;
	bool		found = false;

	LWLockAcquire(QuotaHeader->lock, LW_SHARED);
	hash_seq_init(&status, QuotaMap);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (entry->key.dbid == MyDatabaseId && entry->rejected &&
			entry->rejected_at > epoch)
		{
			*target = entry->key.target;
			found = true;
			hash_seq_term(&status);
			break;
		}
	}
	LWLockRelease(QuotaHeader->lock);
	return found;
}

/*
 * The targets that files of schema nspoid (InvalidOid: temporary), owner
 * and tablespace spcoid in database dbid are charged to, as quotamodel.c
 * charges them: fills targets[5], returns how many.
 */
int
diskquota_targets_of_files(Oid dbid, Oid nspoid, Oid owner, Oid spcoid,
						   DiskquotaTarget *targets)
{
	int			n = 0;

	memset(targets, 0, sizeof(DiskquotaTarget) * 5);
	if (OidIsValid(nspoid))
	{
		targets[n].type = DQ_SCHEMA_QUOTA;
		targets[n++].oid = nspoid;
		targets[n].type = DQ_SCHEMA_TABLESPACE_QUOTA;
		targets[n].oid = nspoid;
		targets[n++].spcoid = spcoid;
	}
	targets[n].type = DQ_ROLE_QUOTA;
	targets[n++].oid = owner;
	targets[n].type = DQ_ROLE_TABLESPACE_QUOTA;
	targets[n].oid = owner;
	targets[n++].spcoid = spcoid;
	targets[n].type = DQ_DATABASE_QUOTA;
	targets[n++].oid = dbid;
	return n;
}

/* The entry of a target of a database, or NULL; lock held */
static QuotaMapEntry *
find_entry(Oid dbid, const DiskquotaTarget *target)
{
	QuotaMapKey key;

	memset(&key, 0, sizeof(key));
	key.dbid = dbid;
	key.target = *target;
	return hash_search(QuotaMap, &key, HASH_FIND, NULL);
}

/* What readers copy of an entry; lock held */
static void
copy_entry(QuotaMapEntry *entry, DiskquotaQuotaInfo *info)
{
	info->target = entry->key.target;
	info->quota_bytes = entry->quota_bytes;
	info->used_bytes = entry->used_bytes;
	info->rejected = entry->rejected;
	info->policy = entry->policy;
	info->denied_count = pg_atomic_read_u64(&entry->refusals[DQ_REFUSAL_DENIED]);
	info->stopped_count = pg_atomic_read_u64(&entry->refusals[DQ_REFUSAL_STOPPED]);
}

/* A palloc'd copy of the published entries of a database. */
List	   *
diskquota_copy_quota_map(Oid dbid)
{
	HASH_SEQ_STATUS status;
	QuotaMapEntry *entry;
	List	   *result = NIL;

	LWLockAcquire(QuotaHeader->lock, LW_SHARED);
	hash_seq_init(&status, QuotaMap);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		DiskquotaQuotaInfo *info;

		if (entry->key.dbid != dbid)
			continue;
		info = palloc(sizeof(DiskquotaQuotaInfo));
		copy_entry(entry, info);
		result = lappend(result, info);
	}
	LWLockRelease(QuotaHeader->lock);
	return result;
}

/* Remove every entry of a database (extension dropped, or not monitored). */
void
diskquota_clear_quota_map(Oid dbid)
{
	HASH_SEQ_STATUS status;
	QuotaMapEntry *entry;

	if (QuotaHeader == NULL)
		return;
	LWLockAcquire(QuotaHeader->lock, LW_EXCLUSIVE);
	hash_seq_init(&status, QuotaMap);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (entry->key.dbid != dbid)
			continue;
		forget_rejected(entry);
		hash_search(QuotaMap, &entry->key, HASH_REMOVE, NULL);
	}
	LWLockRelease(QuotaHeader->lock);
}

/*
 * Entries that may be evicted from the full quota map to make room for an
 * exceeded quota, collected once per publication: first this database's
 * entries that the publication has not confirmed (quotas that are gone),
 * then entries of other databases that are not exceeded.  An entry that is
 * not exceeded refuses nothing, so dropping it only costs the views its
 * usage figure (its database's worker puts it back when there is room).
 * Last, for an explicit exceeded quota only, the exceeded entries of
 * default quotas, of any database: how many targets a default applies to
 * is the tenants' to choose (each schema they create), how many explicit
 * quotas there are the superuser's, so a flood of defaulted targets must
 * not keep an explicit exceeded quota out of the map.  The evicted target
 * is then not enforced, which its database's worker reports at its next
 * publication (this one's at once) as an exceeded quota left out.
 */
typedef struct QuotaVictims
{
	QuotaMapKey *keys;			/* NULL until first needed */
	int			n;
	int			nfree;			/* keys[0..nfree) refuse nothing */
	int			next;
	bool		own_rejected;	/* an exceeded entry of ours was evicted */
} QuotaVictims;

static void
collect_victims(QuotaVictims *victims)
{
	HASH_SEQ_STATUS status;
	QuotaMapEntry *entry;
	int			pass;

	victims->keys = palloc(sizeof(QuotaMapKey) * hash_get_num_entries(QuotaMap));
	victims->n = 0;
	victims->next = 0;
	for (pass = 0; pass < 3; pass++)
	{
		if (pass == 2)
			victims->nfree = victims->n;
		hash_seq_init(&status, QuotaMap);
		while ((entry = hash_seq_search(&status)) != NULL)
		{
			bool		mine = entry->key.dbid == MyDatabaseId;

			if (pass == 0 ? (mine && !entry->seen) :
				pass == 1 ? (!mine && !entry->rejected) :
				(entry->rejected && entry->policy.defaulted &&
				 (!mine || entry->seen)))
				victims->keys[victims->n++] = entry->key;
		}
	}
}

/*
 * Evict the next victim to make room for an exceeded quota (explicit: not
 * from a default quota); the caller holds QuotaHeader->lock exclusive.
 */
static bool
evict_for_rejected(QuotaVictims *victims, bool explicit)
{
	QuotaMapEntry *entry;

	if (victims->keys == NULL)
		collect_victims(victims);
	while (victims->next < (explicit ? victims->n : victims->nfree))
	{
		entry = hash_search(QuotaMap, &victims->keys[victims->next++], HASH_FIND, NULL);
		if (entry == NULL)
			continue;
		if (entry->rejected && entry->key.dbid == MyDatabaseId)
			victims->own_rejected = true;
		forget_rejected(entry);
		hash_search(QuotaMap, &entry->key, HASH_REMOVE, NULL);
		return true;
	}
	return false;
}

/*
 * Set a published entry from a quota; the caller holds the lock exclusive.
 * The charges the new usage includes are dropped: see the header.
 */
static void
set_entry(QuotaMapEntry *entry, const DiskquotaQuotaInfo *quota)
{
	uint64		charged = pg_atomic_read_u64(&entry->charged);
	bool		full;
	bool		was_in_grace = in_grace(entry);

	entry->quota_bytes = quota->quota_bytes;
	entry->used_bytes = quota->used_bytes;
	entry->charges = quota->quota_bytes >= 0 || quota->rejected;
	entry->enforcing = quota->policy.enforced &&
		(quota->quota_bytes >= 0 || quota->policy.soft_bytes >= 0);
	entry->headroom = quota->quota_bytes >= 0 ?
		Max(quota->quota_bytes - quota->used_bytes, 0) : 0;
	entry->policy = quota->policy;
	if (in_grace(entry) != was_in_grace)
	{
		if (was_in_grace)
			pg_atomic_fetch_sub_u32(&QuotaHeader->ningrace, 1);
		else
			pg_atomic_fetch_add_u32(&QuotaHeader->ningrace, 1);
	}
	charged = charged > entry->charged_at_start ?
		charged - entry->charged_at_start : 0;
	pg_atomic_write_u64(&entry->charged, charged);
	entry->charged_at_start = 0;
	entry->seen = true;
	if (quota->rejected && !entry->rejected)
	{
		pg_atomic_fetch_add_u32(&QuotaHeader->nrejected, 1);
		entry->rejected_at = pg_atomic_add_fetch_u64(&QuotaHeader->reject_epoch, 1);
	}
	else if (!quota->rejected && entry->rejected)
		pg_atomic_fetch_sub_u32(&QuotaHeader->nrejected, 1);
	entry->rejected = quota->rejected;
	/* what is still charged may use up the new headroom (see the header) */
	full = entry->charges && !entry->rejected &&
		charged >= (uint64) entry->headroom;
	if (full && pg_atomic_read_u32(&entry->charged_full) == 0)
		pg_atomic_fetch_add_u32(&QuotaHeader->nrejected, 1);
	else if (!full && pg_atomic_read_u32(&entry->charged_full) != 0)
		pg_atomic_fetch_sub_u32(&QuotaHeader->nrejected, 1);
	pg_atomic_write_u32(&entry->charged_full, full ? 1 : 0);
}

/*
 * Replace the published entries of this database by the configured quotas
 * and their usage (computed by the model: quotamodel.c).  Every entry
 * already in the map is updated first, so an exceeded quota never
 * disappears, even for a moment (backends read nrejected without the
 * lock), but for an exceeded quota from a default quota evicted by an
 * explicit one.  Then the missing exceeded quotas are inserted, making room
 * if the map is full (QuotaVictims), because only they refuse anything:
 * enforcement stays exact as long as the exceeded quotas of all databases
 * fit, and for explicit quotas as long as the explicit exceeded quotas
 * fit, however many targets default quotas apply to.  Then the other
 * missing quotas, if there is room.  Returns the DQ_DEGRADED_* bits of what
 * did not fit.
 */
int
diskquota_publish_quotas(List *quotas)
{
	HASH_SEQ_STATUS status;
	QuotaMapEntry *entry;
	QuotaVictims victims = {NULL, 0, 0, 0, false};
	ListCell   *lc;
	int			degraded = 0;
	int			pass;
	bool	   *published = palloc0(sizeof(bool) * (list_length(quotas) + 1));

	LWLockAcquire(QuotaHeader->lock, LW_EXCLUSIVE);
	hash_seq_init(&status, QuotaMap);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (entry->key.dbid == MyDatabaseId)
			entry->seen = false;
	}

	/* pass 0: update what is there; 1: insert exceeded quotas; 2: the rest */
	for (pass = 0; pass < 3; pass++)
	{
		foreach(lc, quotas)
		{
			DiskquotaQuotaInfo *quota = lfirst(lc);
			QuotaMapKey key;
			bool		found;

			if (published[foreach_current_index(lc)] ||
				(pass == 1 && !quota->rejected))
				continue;
			memset(&key, 0, sizeof(key));
			key.dbid = MyDatabaseId;
			key.target = quota->target;
			if (pass == 0)
			{
				entry = hash_search(QuotaMap, &key, HASH_FIND, NULL);
				if (entry != NULL)
				{
					set_entry(entry, quota);
					published[foreach_current_index(lc)] = true;
				}
				continue;
			}
			entry = hash_search(QuotaMap, &key, HASH_ENTER_NULL, &found);
			while (entry == NULL && pass == 1 &&
				   evict_for_rejected(&victims, !quota->policy.defaulted))
				entry = hash_search(QuotaMap, &key, HASH_ENTER_NULL, &found);
			if (entry == NULL)
			{
				degraded |= quota->rejected ? DQ_DEGRADED_REJECT_UNPUBLISHED :
					DQ_DEGRADED_QUOTA_MAP_FULL;
				continue;
			}
			if (!found)
			{
				entry->rejected = false;
				memset(&entry->policy, 0, sizeof(entry->policy));
				pg_atomic_init_u64(&entry->charged, 0);
				entry->charged_at_start = 0;
				pg_atomic_init_u32(&entry->charged_full, 0);
				pg_atomic_init_u64(&entry->reserved, 0);
				for (int kind = 0; kind < DQ_REFUSAL_KINDS; kind++)
				{
					pg_atomic_init_u64(&entry->refusals[kind], 0);
					entry->refusals_logged[kind] = 0;
					entry->refusals_logged_at[kind] = 0;
				}
			}
			set_entry(entry, quota);
			published[foreach_current_index(lc)] = true;
		}
	}

	hash_seq_init(&status, QuotaMap);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (entry->key.dbid != MyDatabaseId || entry->seen)
			continue;
		forget_rejected(entry);
		hash_search(QuotaMap, &entry->key, HASH_REMOVE, NULL);
	}
	LWLockRelease(QuotaHeader->lock);
	if (victims.own_rejected)
		degraded |= DQ_DEGRADED_REJECT_UNPUBLISHED;
	if (victims.keys)
		pfree(victims.keys);
	pfree(published);
	return degraded;
}

/*
 * Count a statement refused (DQ_REFUSAL_DENIED) or stopped
 * (DQ_REFUSAL_STOPPED) by a target's quota: a backend about to raise the
 * quota error adds one to the target's counter, holding the lock shared.
 * Nothing is counted for a target without an entry.
 */
void
diskquota_count_refusal(Oid dbid, const DiskquotaTarget *target,
						DiskquotaRefusalKind kind)
{
	QuotaMapEntry *entry;

	if (QuotaHeader == NULL)
		return;
	LWLockAcquire(QuotaHeader->lock, LW_SHARED);
	entry = find_entry(dbid, target);
	if (entry != NULL)
		pg_atomic_fetch_add_u64(&entry->refusals[kind], 1);
	LWLockRelease(QuotaHeader->lock);
}

/*
 * The refusals of this worker's database to log as events now: per entry
 * and kind, those counted since its last event, if that event is at least
 * interval_us old (or there was none).  Those of a quota whose events are
 * not logged (notify false) are taken as logged.  The worker calls this
 * and diskquota_refusals_logged() with the lock shared: it alone writes
 * refusals_logged and refusals_logged_at of its database's entries, and
 * entries go only under its exclusive lock.
 */
List	   *
diskquota_refusals_due(TimestampTz now, int64 interval_us)
{
	HASH_SEQ_STATUS status;
	QuotaMapEntry *entry;
	List	   *due = NIL;

	if (QuotaHeader == NULL)
		return NIL;
	LWLockAcquire(QuotaHeader->lock, LW_SHARED);
	hash_seq_init(&status, QuotaMap);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		int			kind;

		if (entry->key.dbid != MyDatabaseId)
			continue;
		for (kind = 0; kind < DQ_REFUSAL_KINDS; kind++)
		{
			uint64		total = pg_atomic_read_u64(&entry->refusals[kind]);
			DiskquotaRefusals *refusals;

			if (total == entry->refusals_logged[kind])
				continue;
			if (!entry->policy.notify)
			{
				entry->refusals_logged[kind] = total;
				continue;
			}
			if (entry->refusals_logged_at[kind] != 0 &&
				now - entry->refusals_logged_at[kind] < interval_us)
				continue;
			refusals = palloc(sizeof(DiskquotaRefusals));
			refusals->target = entry->key.target;
			refusals->kind = kind;
			refusals->count = total - entry->refusals_logged[kind];
			refusals->total = total;
			refusals->quota_bytes = entry->quota_bytes;
			refusals->used_bytes = entry->used_bytes;
			refusals->policy = entry->policy;
			due = lappend(due, refusals);
		}
	}
	LWLockRelease(QuotaHeader->lock);
	return due;
}

/* The refusals (diskquota_refusals_due) are logged, at now */
void
diskquota_refusals_logged(const DiskquotaRefusals *refusals, TimestampTz now)
{
	QuotaMapEntry *entry;

	LWLockAcquire(QuotaHeader->lock, LW_SHARED);
	entry = find_entry(MyDatabaseId, &refusals->target);
	if (entry != NULL)
	{
		entry->refusals_logged[refusals->kind] = refusals->total;
		entry->refusals_logged_at[refusals->kind] = now;
	}
	LWLockRelease(QuotaHeader->lock);
}

/*
 * The bytes running statements charged to one target of a database since
 * the worker's last publication (0 if it has no quota there): for the
 * detail of the quota error.
 */
int64
diskquota_target_charged(Oid dbid, const DiskquotaTarget *target)
{
	QuotaMapEntry *entry;
	int64		charged = 0;

	if (QuotaHeader == NULL)
		return 0;
	LWLockAcquire(QuotaHeader->lock, LW_SHARED);
	entry = find_entry(dbid, target);
	if (entry != NULL)
		charged = (int64) pg_atomic_read_u64(&entry->charged);
	LWLockRelease(QuotaHeader->lock);
	return charged;
}

/*
 * The quota and usage of one target of a database, as the worker last
 * published them in the quota map: false if it has no quota there.  For
 * the checks of moves into a target (enforcement.c).
 */
bool
diskquota_target_usage(Oid dbid, const DiskquotaTarget *target,
					   int64 *quota_bytes, int64 *used_bytes)
{
	QuotaMapEntry *entry;
	bool		found = false;

	if (QuotaHeader == NULL)
		return false;
	LWLockAcquire(QuotaHeader->lock, LW_SHARED);
	entry = find_entry(dbid, target);
	if (entry != NULL)
	{
		*quota_bytes = entry->quota_bytes;
		*used_bytes = entry->used_bytes;
		found = true;
	}
	LWLockRelease(QuotaHeader->lock);
	return found;
}

/*
 * A copy of the published entry of one target of a database: false if it
 * has none.
 */
bool
diskquota_target_info(Oid dbid, const DiskquotaTarget *target,
					  DiskquotaQuotaInfo *info)
{
	QuotaMapEntry *entry;
	bool		found = false;

	if (QuotaHeader == NULL)
		return false;
	LWLockAcquire(QuotaHeader->lock, LW_SHARED);
	entry = find_entry(dbid, target);
	if (entry != NULL)
	{
		copy_entry(entry, info);
		found = true;
	}
	LWLockRelease(QuotaHeader->lock);
	return found;
}

/*
 * Is an enforced quota of any database in its grace period?  Lock-free:
 * statements into targets that are not pay only this read.
 */
bool
diskquota_any_in_grace(void)
{
	return QuotaHeader != NULL && pg_atomic_read_u32(&QuotaHeader->ningrace) > 0;
}

/*
 * Is a target that a write into these files is charged to (as for
 * diskquota_rejected_target) an enforced quota in its grace period?  Sets
 * *info to a copy of the first one found.
 */
bool
diskquota_grace_target(Oid dbid, Oid nspoid, Oid owner, Oid spcoid,
					   DiskquotaQuotaInfo *info)
{
	DiskquotaTarget targets[5];
	int			n = diskquota_targets_of_files(dbid, nspoid, owner, spcoid, targets);
	int			i;
	bool		found = false;

	LWLockAcquire(QuotaHeader->lock, LW_SHARED);
	for (i = 0; i < n && !found; i++)
	{
		QuotaMapEntry *entry = find_entry(dbid, &targets[i]);

		if (entry == NULL || !in_grace(entry))
			continue;
		copy_entry(entry, info);
		found = true;
	}
	LWLockRelease(QuotaHeader->lock);
	return found;
}

/*
 * Step 1 of the headroom protocol (see the header): the worker is about to
 * size its database's files for a refresh.  Remember, in each entry of the
 * database, what statements have charged so far.
 */
void
diskquota_headroom_sizing_starts(void)
{
	HASH_SEQ_STATUS status;
	QuotaMapEntry *entry;

	LWLockAcquire(QuotaHeader->lock, LW_SHARED);
	hash_seq_init(&status, QuotaMap);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (entry->key.dbid == MyDatabaseId)
			entry->charged_at_start = pg_atomic_read_u64(&entry->charged);
	}
	LWLockRelease(QuotaHeader->lock);
}

/*
 * The headroom of an entry that neither charges nor reservations took
 * (see "Reservations"); lock held.
 */
static int64
unreserved(QuotaMapEntry *entry)
{
	uint64		taken = pg_atomic_read_u64(&entry->charged) +
	pg_atomic_read_u64(&entry->reserved);

	return taken >= (uint64) entry->headroom ? 0 : entry->headroom - (int64) taken;
}

/*
 * Has one of these targets of a database a quota in the map?  Sets
 * *remaining to the least headroom left among them (headroom minus what is
 * charged and reserved).  Lets a statement skip measuring what it writes
 * when nothing would be charged, and pace its measurements otherwise.
 * tightest, if not NULL, gets the target with the least left, and then
 * reservations do not count: what is left is headroom minus what is
 * charged, so that what others reserved never refuses anything (see
 * "Reservations"); used to refuse a row that would not fit.
 */
bool
diskquota_targets_headroom(Oid dbid, const DiskquotaTarget *targets, int n,
						   int64 *remaining, DiskquotaTarget *tightest)
{
	QuotaMapKey key;
	bool		found = false;
	int			i;

	if (QuotaHeader == NULL)
		return false;
	memset(&key, 0, sizeof(key));
	key.dbid = dbid;
	*remaining = PG_INT64_MAX;
	LWLockAcquire(QuotaHeader->lock, LW_SHARED);
	for (i = 0; i < n; i++)
	{
		QuotaMapEntry *entry;
		int64		left;

		key.target = targets[i];
		entry = hash_search(QuotaMap, &key, HASH_FIND, NULL);
		if (entry == NULL || !entry->charges)
			continue;
		found = true;
		if (tightest == NULL)
			left = unreserved(entry);
		else
		{
			uint64		charged = pg_atomic_read_u64(&entry->charged);

			left = charged >= (uint64) entry->headroom ? 0 :
				entry->headroom - (int64) charged;
		}
		if (left < *remaining)
		{
			*remaining = left;
			if (tightest != NULL)
				*tightest = targets[i];
		}
	}
	LWLockRelease(QuotaHeader->lock);
	return found;
}

/*
 * A running statement of this database measured that it wrote charges[i].bytes
 * more into charges[i].target: add them to the target's charged bytes (a
 * target without an entry has no quota: nothing to charge).  Returns true,
 * with *crossed set to the first such target, if the charged bytes of one of
 * them reached its headroom.  Sets *remaining to the least headroom left
 * among the targets with a quota, neither charged nor reserved
 * (PG_INT64_MAX if none has).  Lock shared; see the header.
 */
bool
diskquota_charge_headroom(Oid dbid, const DiskquotaCharge *charges, int n,
						  DiskquotaTarget *crossed, int64 *remaining)
{
	QuotaMapKey key;
	bool		result = false;
	int			i;

	if (QuotaHeader == NULL)
		return false;
	memset(&key, 0, sizeof(key));
	key.dbid = dbid;
	*remaining = PG_INT64_MAX;
	LWLockAcquire(QuotaHeader->lock, LW_SHARED);
	for (i = 0; i < n; i++)
	{
		QuotaMapEntry *entry;
		uint64		charged;

		key.target = charges[i].target;
		entry = hash_search(QuotaMap, &key, HASH_FIND, NULL);
		if (entry == NULL || !entry->charges)
			continue;
		if (charges[i].bytes > 0)
			charged = pg_atomic_add_fetch_u64(&entry->charged, (uint64) charges[i].bytes);
		else
			charged = pg_atomic_read_u64(&entry->charged);
		if (charged >= (uint64) entry->headroom)
		{
			uint32		expected = 0;

			/* from now on new statements into it are refused: see header */
			if (!entry->rejected &&
				pg_atomic_read_u32(&entry->charged_full) == 0 &&
				pg_atomic_compare_exchange_u32(&entry->charged_full, &expected, 1))
				pg_atomic_fetch_add_u32(&QuotaHeader->nrejected, 1);
			*remaining = 0;
			if (!result && charges[i].bytes > 0)
			{
				*crossed = entry->key.target;
				result = true;
			}
		}
		else
			*remaining = Min(*remaining, unreserved(entry));
	}
	LWLockRelease(QuotaHeader->lock);
	return result;
}

/*
 * A running statement of this database expects to write charges[i].bytes
 * into charges[i].target before it charges again (negative: it gives back
 * what it reserved, never below zero).  See "Reservations".  Lock shared.
 */
void
diskquota_reserve_headroom(Oid dbid, const DiskquotaCharge *charges, int n)
{
	QuotaMapKey key;
	int			i;

	if (QuotaHeader == NULL || n == 0)
		return;
	memset(&key, 0, sizeof(key));
	key.dbid = dbid;
	LWLockAcquire(QuotaHeader->lock, LW_SHARED);
	for (i = 0; i < n; i++)
	{
		QuotaMapEntry *entry;
		uint64		old;
		uint64		new;

		key.target = charges[i].target;
		entry = hash_search(QuotaMap, &key, HASH_FIND, NULL);
		if (entry == NULL || charges[i].bytes == 0)
			continue;
		if (charges[i].bytes > 0)
		{
			pg_atomic_fetch_add_u64(&entry->reserved, (uint64) charges[i].bytes);
			continue;
		}
		/* an entry re-created since the reservation has less: floor at 0 */
		old = pg_atomic_read_u64(&entry->reserved);
		do
		{
			new = old > (uint64) -charges[i].bytes ? old - (uint64) -charges[i].bytes : 0;
		} while (!pg_atomic_compare_exchange_u64(&entry->reserved, &old, new));
	}
	LWLockRelease(QuotaHeader->lock);
}

/* ----------------------------------------------------------------
 * Charged relations: high-water marks (see "Each byte charged once")
 * ----------------------------------------------------------------
 */

#define DQ_CHARGED_MAP_SIZE 8192

typedef struct ChargedRelKey
{
	Oid			dbid;
	Oid			relid;
} ChargedRelKey;

typedef struct ChargedRelEntry
{
	ChargedRelKey key;
	int			refcount;		/* statements measuring it */
	BlockNumber hwm[MAX_FORKNUM + 1];	/* blocks charged up to */
} ChargedRelEntry;

static LWLock *ChargedLock = NULL;
static HTAB *ChargedMap = NULL;

Size
diskquota_charged_shmem_size(void)
{
	return hash_estimate_size(DQ_CHARGED_MAP_SIZE, sizeof(ChargedRelEntry));
}

/* Called from the shmem startup hook, with AddinShmemInitLock held. */
void
diskquota_charged_shmem_init(void)
{
	HASHCTL		ctl;

	ChargedLock = &(GetNamedLWLockTranche("diskquota"))[DQ_LWLOCK_CHARGED].lock;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(ChargedRelKey);
	ctl.entrysize = sizeof(ChargedRelEntry);
	ChargedMap = ShmemInitHash("diskquota charged relations",
							   DQ_CHARGED_MAP_SIZE, DQ_CHARGED_MAP_SIZE,
							   &ctl, HASH_ELEM | HASH_BLOBS | HASH_FIXED_SIZE);
}

/*
 * Measure the forks of a relation that nblocks asks for (not
 * InvalidBlockNumber), with ChargedLock held exclusive: nblocks gets their
 * sizes now.  Measuring under the lock orders the measurements of all
 * backends as the sizes truly were, so a size below a mark can only be a
 * shrink, never a measurement that was late to report (see header).
 */
static void
measure_forks(SMgrRelation smgr, BlockNumber *nblocks)
{
	int			fork;

	/*
	 * A fork that is gone raises an error: the lock is released first, so
	 * that the error path (which releases the statement's relations) can take
	 * it again.
	 */
	PG_TRY();
	{
		for (fork = 0; fork <= MAX_FORKNUM; fork++)
		{
			if (nblocks[fork] != InvalidBlockNumber)
				nblocks[fork] = smgrnblocks(smgr, fork);
		}
	}
	PG_CATCH();
	{
		if (LWLockHeldByMe(ChargedLock))
			LWLockRelease(ChargedLock);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/*
 * A statement starts measuring a relation: takes the sizes of the forks
 * nblocks asks for (not InvalidBlockNumber) into nblocks.  The first one
 * creates the relation's entry with these sizes as its high-water marks;
 * later ones leave the marks as they are (what grew above them is not
 * charged yet), except that a mark above the size now comes down to it
 * (the relation shrank since it was set).  False if the map is full: the
 * statement then charges the relation's growth by itself (see header).
 */
bool
diskquota_charged_rel_acquire(Oid dbid, Oid relid, SMgrRelation smgr,
							  BlockNumber *nblocks)
{
	ChargedRelKey key;
	ChargedRelEntry *entry = NULL;
	bool		found;
	int			fork;

	memset(&key, 0, sizeof(key));
	key.dbid = dbid;
	key.relid = relid;
	if (ChargedMap == NULL)
	{
		measure_forks(smgr, nblocks);
		return false;
	}
	LWLockAcquire(ChargedLock, LW_EXCLUSIVE);
	measure_forks(smgr, nblocks);
	entry = hash_search(ChargedMap, &key, HASH_ENTER_NULL, &found);
	if (entry != NULL)
	{
		for (fork = 0; fork <= MAX_FORKNUM; fork++)
		{
			BlockNumber now = nblocks[fork] == InvalidBlockNumber ? 0 : nblocks[fork];

			if (!found)
				entry->hwm[fork] = now;
			else if (nblocks[fork] != InvalidBlockNumber && now < entry->hwm[fork])
				entry->hwm[fork] = now;
		}
		if (!found)
			entry->refcount = 0;
		entry->refcount++;
	}
	LWLockRelease(ChargedLock);
	return entry != NULL;
}

/* A statement stops measuring a relation: the last one removes its entry */
void
diskquota_charged_rel_release(Oid dbid, Oid relid)
{
	ChargedRelKey key;
	ChargedRelEntry *entry;

	if (ChargedMap == NULL)
		return;
	memset(&key, 0, sizeof(key));
	key.dbid = dbid;
	key.relid = relid;
	LWLockAcquire(ChargedLock, LW_EXCLUSIVE);
	entry = hash_search(ChargedMap, &key, HASH_FIND, NULL);
	if (entry != NULL && --entry->refcount <= 0)
		hash_search(ChargedMap, &key, HASH_REMOVE, NULL);
	LWLockRelease(ChargedLock);
}

/*
 * A statement that acquired the relation measures it again: takes the
 * sizes of the forks nblocks asks for into nblocks, sets the forks' marks
 * to them (up when it grew, down when it shrank), and returns by how many
 * blocks the marks of the forks counted[] names rose: what this statement
 * is to charge (0 where another measured as much already).  -1 if the
 * relation has no entry (not acquired): nothing measured.
 */
int64
diskquota_charged_rel_measure(Oid dbid, Oid relid, SMgrRelation smgr,
							  BlockNumber *nblocks, const bool *counted)
{
	ChargedRelKey key;
	ChargedRelEntry *entry;
	int64		risen = 0;
	int			fork;

	memset(&key, 0, sizeof(key));
	key.dbid = dbid;
	key.relid = relid;
	LWLockAcquire(ChargedLock, LW_EXCLUSIVE);
	entry = hash_search(ChargedMap, &key, HASH_FIND, NULL);
	if (entry == NULL)
	{
		LWLockRelease(ChargedLock);
		return -1;
	}
	measure_forks(smgr, nblocks);
	for (fork = 0; fork <= MAX_FORKNUM; fork++)
	{
		if (nblocks[fork] == InvalidBlockNumber)
			continue;
		if (counted[fork] && nblocks[fork] > entry->hwm[fork])
			risen += nblocks[fork] - entry->hwm[fork];
		entry->hwm[fork] = nblocks[fork];
	}
	LWLockRelease(ChargedLock);
	return risen;
}
