/*-------------------------------------------------------------------------
 *
 * registry.c
 *		The registry of monitored databases: one slot per database in
 *		shared memory, through which the launcher, the workers and the
 *		backends tell each other what they need to know.
 *
 * The launcher gives each database listed in diskquota.monitor_databases a
 * slot and starts its worker (launcher.c); the worker reports its refreshes
 * in it (worker.c); backends read it to wait for a refresh, to wake the
 * worker, and to know whether their database is paused or stale.  The
 * functions here read and change slots under the protocol below; they
 * call nothing else of diskquota.
 *
 * Shared state owned by this file: DiskquotaShared, with one DiskquotaDBSlot
 * per monitored database.
 *
 * Locking: DiskquotaShared->lock protects launcher_pid, launcher_latch,
 * extension_events, feed_active, reconcile_requested, feed_drain_requests,
 * feed_drains_done and every field of every dbs[] slot, except the
 * condition variables feed_drained_cv and epoch_cv (each with its own
 * internal spinlock) and the atomic wake_requested (below).  Readers
 * take it shared, the launcher and workers take it exclusive for short
 * updates.  It is never held while waiting, and no other diskquota lock is
 * acquired while it is held, except that the launcher calls into the
 * background worker machinery (BackgroundWorkerLock) while holding it.
 * ndbs is set at shared memory creation and never changes.  Two
 * exceptions to the locking rule: a backend's timeout handler reads dbid and
 * worker_latch of its database's slot without the lock to wake the worker
 * (diskquota_wake_worker_from_handler explains why that is safe); and
 * backends read dbid and feed_watched of their database's slot without the
 * lock at the end of every writing statement
 * (diskquota_feed_watches_my_database explains why that is safe), and
 * paused before refusing one (diskquota_paused).  paused is set by the
 * committing pause()/resume() (which also advance pause_changes) and by the
 * worker from the table it read, unless pause_changes moved meanwhile.
 * hold_until is set and cleared by backends (with the lock held
 * exclusively) around DROP DATABASE and the like.  A worker's SIGTERM
 * handler reads no shared state: it sets a flag and the latch, and the
 * worker's loop reads state and hold_until of its slot under the lock to
 * decide how to stop (worker_sigterm).
 * stale is set and cleared by the launcher (launcher_check_freshness) and
 * cleared by the worker when it publishes (published_at), with the lock
 * held exclusively; nstale counts the slots with stale set, is changed
 * only together with it, and is read without the lock by backends as a
 * fast path (diskquota_any_stale): when it reads zero, no database is
 * stale, and a statement pays that one read; a backend reading a value
 * just before the launcher marks a database stale behaves as if its
 * statement had started a moment earlier.  expected_since and good_at
 * are the launcher's alone; blocked_since the worker's.
 * slots_changed is an atomic counter, advanced with the lock held whenever
 * a slot gets or loses a database, and read without it by backends to
 * know whether to look for their database's slot again.
 *
 * Waiting for the feed to be drained: a worker about to refresh advances
 * feed_drain_requests (with the lock) and sets the launcher's latch, then
 * sleeps on feed_drained_cv until feed_drains_done reaches its request or
 * feed_active is cleared, checking both under the lock shared; it gives up
 * after a second (diskquota_wait_feed_drained).  The launcher broadcasts
 * feed_drained_cv, after releasing the lock, whenever it has advanced
 * feed_drains_done or cleared feed_active (launcher.c).
 *
 * Waking a worker: whoever asks a worker for a refresh (backends at commit
 * or from their timeout handler, the feed through the launcher, pause()
 * and resume(), diskquota.wait_for_worker_new_epoch()) first sets the
 * slot's wake_requested, then the worker's latch
 * (diskquota_slot_wake_worker).  The latch alone could be lost: a wait
 * inside a refresh (on feed_drained_cv, or for a lock) sleeps on the same
 * latch and resets it, and the wake-up would then wait for the next
 * regular refresh.  wake_requested is an atomic flag, set without the lock
 * (an aligned atomic store, safe in a signal handler) and with no barrier
 * of its own: SetLatch() begins with one, so the flag is visible to the
 * worker once the latch is.  The worker clears it when a refresh starts,
 * after ResetLatch() and before it drains anything, with an atomic
 * exchange (a full barrier): a wake-up that came earlier is served by this
 * refresh.  Before it sleeps, the worker refreshes at once if the flag is
 * set (worker.c's worker_sleep); a wake-up that comes after that check sets
 * the latch and ends the sleep.  The flag may stay set while no worker
 * runs: the next worker clears it before its first refresh.
 *
 * The launcher alone allocates and frees slots.  A worker only sets the
 * fields of its own slot (identified by dbid and worker_pid == its pid).  A
 * slot whose worker still runs is never freed or reused: the launcher marks
 * it STOPPING, terminates the worker, and frees it once worker_pid is 0 (the
 * worker clears it when it exits).
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		registry.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"
#include "utils/wait_event.h"

#include "diskquota_common.h"
#include "settings.h"
#include "registry.h"

DiskquotaSharedState *DiskquotaShared = NULL;

Size
diskquota_registry_shmem_size(void)
{
	return add_size(offsetof(DiskquotaSharedState, dbs),
					mul_size(diskquota_max_databases, sizeof(DiskquotaDBSlot)));
}

/* Called from the shmem_startup_hook, with AddinShmemInitLock held */
void
diskquota_registry_shmem_init(void)
{
	bool		found;

	DiskquotaShared = ShmemInitStruct("diskquota shared state",
									  diskquota_registry_shmem_size(), &found);
	if (!found)
	{
		int			i;

		memset(DiskquotaShared, 0, diskquota_registry_shmem_size());
		DiskquotaShared->lock = &(GetNamedLWLockTranche("diskquota"))[DQ_LWLOCK_SHARED].lock;
		DiskquotaShared->ndbs = diskquota_max_databases;
		pg_atomic_init_u32(&DiskquotaShared->slots_changed, 0);
		ConditionVariableInit(&DiskquotaShared->feed_drained_cv);
		for (i = 0; i < DiskquotaShared->ndbs; i++)
		{
			ConditionVariableInit(&DiskquotaShared->dbs[i].epoch_cv);
			pg_atomic_init_u32(&DiskquotaShared->dbs[i].wake_requested, 0);
		}
	}
}

/*
 * Raise an error when the library was not preloaded: nothing would be
 * enforced, and the DBA must know.
 */
void
diskquota_require_shmem(void)
{
	if (DiskquotaShared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("diskquota is not loaded"),
				 errdetail("Quotas are not enforced unless the diskquota library is loaded at server start."),
				 errhint("Add \"diskquota\" to shared_preload_libraries and restart the server.")));
}

/*
 * Find the slot of a monitored database.  The caller must hold
 * DiskquotaShared->lock; the result is valid while it is held.
 */
DiskquotaDBSlot *
diskquota_find_db_slot(Oid dbid)
{
	int			i;

	for (i = 0; i < DiskquotaShared->ndbs; i++)
	{
		DiskquotaDBSlot *slot = &DiskquotaShared->dbs[i];

		if (slot->state != DQ_DB_UNUSED && slot->dbid == dbid)
			return slot;
	}
	return NULL;
}

/*
 * Ask the worker of a slot for a refresh, if a worker runs: set
 * wake_requested, then its latch (see the protocol in the header comment).
 * The caller holds the lock, shared or exclusive.
 */
void
diskquota_slot_wake_worker(DiskquotaDBSlot *slot)
{
	if (slot->worker_latch == NULL)
		return;
	pg_atomic_write_u32(&slot->wake_requested, 1);
	SetLatch(slot->worker_latch);
}

/*
 * Wake the worker of a database, if it runs; with only_near,
 * only while a quota of the database is near (DQ_NEAR_QUOTA_BYTES), as for
 * file changes: otherwise the worker's regular refresh is soon enough, and a
 * write load does not make it refresh continuously.
 */
static void
wake_worker(Oid dbid, bool only_near)
{
	DiskquotaDBSlot *slot;

	if (DiskquotaShared == NULL)
		return;
	LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
	slot = diskquota_find_db_slot(dbid);
	if (slot && (slot->near_quota || !only_near))
		diskquota_slot_wake_worker(slot);
	LWLockRelease(DiskquotaShared->lock);
}

void
diskquota_wake_worker(Oid dbid)
{
	wake_worker(dbid, false);
}

void
diskquota_wake_worker_near_quota(Oid dbid)
{
	wake_worker(dbid, true);
}

/* Is a quota of a database near (the feed is to wake its worker)? */
bool
diskquota_database_near_quota(Oid dbid)
{
	DiskquotaDBSlot *slot;
	bool		result;

	LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
	slot = diskquota_find_db_slot(dbid);
	result = slot != NULL && slot->near_quota;
	LWLockRelease(DiskquotaShared->lock);
	return result;
}

/*
 * Wait until the launcher has drained the file-change feed of every event
 * queued before this call (a worker, before it takes the active relations),
 * so that a refresh sees every file change that happened before it started:
 * after a statement, diskquota.wait_for_worker_new_epoch() reflects what it
 * wrote.  inotify queues an event within the write itself.  Returns false
 * if the launcher did not answer within a second (it is stuck or being
 * restarted): the caller must then not rely on the feed for this refresh.
 * Without the feed, returns true at once.
 *
 * Sleeps on feed_drained_cv, which resets the caller's latch: a worker
 * learns of the wake-ups that came meanwhile from wake_requested (see the
 * header comment).
 */
bool
diskquota_wait_feed_drained(void)
{
	uint64		request;
	TimestampTz deadline;
	bool		done = false;

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	if (!DiskquotaShared->feed_active)
	{
		LWLockRelease(DiskquotaShared->lock);
		return true;
	}
	if (DiskquotaShared->launcher_latch == NULL)
	{
		LWLockRelease(DiskquotaShared->lock);
		return false;
	}
	request = ++DiskquotaShared->feed_drain_requests;
	SetLatch(DiskquotaShared->launcher_latch);
	LWLockRelease(DiskquotaShared->lock);

	/* the launcher answers within a fraction of a millisecond */
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 1000);
	ConditionVariablePrepareToSleep(&DiskquotaShared->feed_drained_cv);
	for (;;)
	{
		long		remaining;

		LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
		done = DiskquotaShared->feed_drains_done >= request ||
			!DiskquotaShared->feed_active;
		LWLockRelease(DiskquotaShared->lock);
		if (done)
			break;
		remaining = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		if (remaining <= 0)
			break;
		/* CHECK_FOR_INTERRUPTS is done inside */
		(void) ConditionVariableTimedSleep(&DiskquotaShared->feed_drained_cv,
										   remaining, PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	return done;
}

/*
 * The index of this database's slot, looked up with the lock and cached:
 * the callers below read the slot without the lock, and check its dbid.
 * When the database is not monitored, it is looked up again only once the
 * launcher has given a slot a database since (slots_changed): a database
 * that is not monitored pays one atomic read per call.
 */
static int	my_slot_index = -1;
static uint32 my_slot_seen_changes = 0;
static bool my_slot_looked_up = false;

static int
lookup_my_slot_index(void)
{
	DiskquotaDBSlot *slot;
	uint32		changes;

	if (DiskquotaShared == NULL || !OidIsValid(MyDatabaseId))
		return -1;
	if (my_slot_index >= 0 &&
		DiskquotaShared->dbs[my_slot_index].dbid == MyDatabaseId)
		return my_slot_index;
	changes = pg_atomic_read_u32(&DiskquotaShared->slots_changed);
	if (my_slot_index < 0 && my_slot_looked_up && changes == my_slot_seen_changes)
		return -1;
	LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
	slot = diskquota_find_db_slot(MyDatabaseId);
	my_slot_index = slot ? slot - DiskquotaShared->dbs : -1;
	LWLockRelease(DiskquotaShared->lock);
	my_slot_seen_changes = changes;
	my_slot_looked_up = true;
	return my_slot_index;
}

/*
 * Waking the worker from a signal handler, which cannot take a lock: the
 * index of this database's slot is looked up beforehand (with the lock),
 * and the handler reads the slot's dbid and worker_latch without it, and
 * sets wake_requested (atomic) and the latch.  An aligned pointer is read
 * in one piece; if the slot changed meanwhile, the worst outcome is a
 * spurious wake-up of another process (or refresh of another worker).
 */
void
diskquota_prepare_wake_from_handler(void)
{
	(void) lookup_my_slot_index();
}

/*
 * The slot of this database, for a read of its flags without the lock (the
 * callers say why that is safe), or NULL if it has none.  The barrier
 * orders the caller's reads after what it did before.
 */
static DiskquotaDBSlot *
my_database_slot(void)
{
	if (my_slot_index < 0 ||
		DiskquotaShared->dbs[my_slot_index].dbid != MyDatabaseId)
	{
		if (lookup_my_slot_index() < 0)
			return NULL;
	}
	pg_memory_barrier();
	return &DiskquotaShared->dbs[my_slot_index];
}

/*
 * The refreshes this database's worker completed (0 if it has no slot),
 * read without the lock: for the lazy start of self-charging
 * (enforcement.c), which only compares it with a value read earlier; a
 * read that misses the last increment (or, where 64-bit reads are not
 * atomic, a torn one) only moves by a refresh when its allowance renews.
 */
uint64
diskquota_my_epoch(void)
{
	DiskquotaDBSlot *slot = my_database_slot();

	return slot != NULL ? *(volatile uint64 *) &slot->epoch : 0;
}

/*
 * Does the launcher's file-change feed see every change of this database's
 * relation files?  Then the writes of a statement need not be pushed to the
 * active map: the feed reports the files as they grow.
 *
 * Read without the lock, once per writing statement, after its writes.  The
 * launcher clears feed_watched (with the lock) before it stops watching and
 * only then requests a full rescan of the database.  A backend that still
 * reads true did its writes before the flag was cleared, so either the feed
 * saw them or the rescan, which starts later, does.  The barrier orders our
 * read after our writes.  A stale false only costs a needless push.
 */
bool
diskquota_feed_watches_my_database(void)
{
	DiskquotaDBSlot *slot = my_database_slot();

	return slot != NULL && slot->feed_watched && slot->dbid == MyDatabaseId;
}

/*
 * Is diskquota paused in this database (diskquota.pause())?  Read without
 * the lock when a statement is about to be refused: a stale value only
 * refuses or lets pass a statement that overlaps pause() or resume().
 */
bool
diskquota_paused(void)
{
	DiskquotaDBSlot *slot = my_database_slot();

	return slot != NULL && slot->paused && slot->dbid == MyDatabaseId;
}

/*
 * Is a monitored database stale (DQ_STALE_MS: its worker is expected to
 * refresh and has not published the quotas for that long)?
 * DQ_STALE_UNKNOWN if its worker never published them since diskquota
 * began to monitor it (after a restart: nothing is known of its quotas).
 * *since gets the time of the last publication (0: none), *why what keeps
 * the worker from refreshing, as far as the slot tells (DQ_STALE_WHY_*).  Takes the lock
 * shared: called only while some database is stale (diskquota_any_stale())
 * and a statement writes, or to report it.
 */
int
diskquota_database_staleness(Oid dbid, TimestampTz *since, int *why)
{
	DiskquotaDBSlot *slot;
	int			result = DQ_FRESH;

	if (since)
		*since = 0;
	if (why)
		*why = DQ_STALE_WHY_NO_REFRESH;
	if (DiskquotaShared == NULL)
		return DQ_FRESH;
	LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
	slot = diskquota_find_db_slot(dbid);
	if (slot && slot->stale && !slot->paused)
	{
		result = slot->published_at == 0 ? DQ_STALE_UNKNOWN : DQ_STALE;
		if (since)
			*since = slot->published_at;
		if (why)
			*why = slot->blocked_since != 0 ? DQ_STALE_WHY_BLOCKED :
				slot->hold_until > GetCurrentTimestamp() ? DQ_STALE_WHY_HELD :
				slot->state == DQ_DB_START_FAILED ? DQ_STALE_WHY_NO_WORKER_SLOT :
				slot->worker_pid == 0 ? DQ_STALE_WHY_NOT_RUNNING :
				DQ_STALE_WHY_NO_REFRESH;
	}
	LWLockRelease(DiskquotaShared->lock);
	return result;
}

/*
 * pause() or resume() committed in a database: takes effect at once, and
 * the worker learns it from diskquota.pause at its next refresh (after a
 * restart too).  Does not raise errors: called at commit (enforcement.c,
 * which also withdraws the stop requests of a paused database).
 */
void
diskquota_set_paused(Oid dbid, bool paused)
{
	DiskquotaDBSlot *slot;

	if (DiskquotaShared == NULL)
		return;
	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	slot = diskquota_find_db_slot(dbid);
	if (slot)
	{
		slot->paused = paused;
		slot->pause_changes++;
		diskquota_slot_wake_worker(slot);
	}
	LWLockRelease(DiskquotaShared->lock);
}

/*
 * Completed refreshes of a database's worker (0 if it has no slot); *running
 * tells whether a worker runs.
 */
uint64
diskquota_current_epoch(Oid dbid, bool *running)
{
	DiskquotaDBSlot *slot;
	uint64		epoch = 0;

	*running = false;
	LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
	slot = diskquota_find_db_slot(dbid);
	if (slot)
	{
		epoch = slot->epoch;
		*running = slot->worker_pid != 0;
	}
	LWLockRelease(DiskquotaShared->lock);
	return epoch;
}

void
diskquota_wake_worker_from_handler(void)
{
	DiskquotaDBSlot *slot;
	Latch	   *latch;

	if (my_slot_index < 0)
		return;
	slot = &DiskquotaShared->dbs[my_slot_index];
	if (slot->dbid != MyDatabaseId)
		return;
	latch = slot->worker_latch;
	if (latch != NULL)
	{
		/* the flag first: see "Waking a worker" in the header comment */
		pg_atomic_write_u32(&slot->wake_requested, 1);
		SetLatch(latch);
	}
}

/*
 * Ask the worker of a database to rescan all relations, and wake it.
 * degraded_reason (DQ_DEGRADED_* bits, or 0) is reported by the next refresh.
 * Does not raise errors: it is called from transaction-commit callbacks.
 */
void
diskquota_request_rescan(Oid dbid, int degraded_reason)
{
	DiskquotaDBSlot *slot;

	if (DiskquotaShared == NULL)
		return;
	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	slot = diskquota_find_db_slot(dbid);
	if (slot)
	{
		slot->rescan_requested = true;
		slot->pending_degraded |= degraded_reason;
		diskquota_slot_wake_worker(slot);
	}
	LWLockRelease(DiskquotaShared->lock);
}

/* Wake the launcher for a round, without any other request. */
void
diskquota_poke_launcher(void)
{
	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	DiskquotaShared->reconcile_requested = true;
	if (DiskquotaShared->launcher_latch)
		SetLatch(DiskquotaShared->launcher_latch);
	LWLockRelease(DiskquotaShared->lock);
}

/* Tell the launcher that an extension was created or dropped somewhere. */
void
diskquota_wake_launcher(void)
{
	if (DiskquotaShared == NULL)
		return;
	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	DiskquotaShared->extension_events++;
	DiskquotaShared->reconcile_requested = true;
	if (DiskquotaShared->launcher_latch)
		SetLatch(DiskquotaShared->launcher_latch);
	LWLockRelease(DiskquotaShared->lock);
}

/*
 * Is dbname listed in diskquota.monitor_databases (as this process sees it)?
 */
bool
diskquota_database_is_monitored(const char *dbname)
{
	char	   *rawstring = pstrdup(diskquota_monitor_databases ? diskquota_monitor_databases : "");
	List	   *names;
	ListCell   *lc;
	bool		found = false;

	if (SplitIdentifierString(rawstring, ',', &names))
	{
		foreach(lc, names)
		{
			if (strcmp((char *) lfirst(lc), dbname) == 0)
				found = true;
		}
	}
	list_free(names);
	pfree(rawstring);
	return found;
}

/*
 * Is dbname listed in diskquota.monitor_databases but left without a slot
 * because the other listed databases take all diskquota.max_databases of
 * them?  (The launcher gives the slots in the order of the list.)
 */
bool
diskquota_database_beyond_limit(const char *dbname)
{
	bool		has_slot = false;
	int			used = 0;
	int			i;

	if (DiskquotaShared == NULL || !diskquota_database_is_monitored(dbname))
		return false;
	LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
	for (i = 0; i < DiskquotaShared->ndbs; i++)
	{
		if (DiskquotaShared->dbs[i].state == DQ_DB_UNUSED)
			continue;
		used++;
		if (strcmp(DiskquotaShared->dbs[i].dbname, dbname) == 0)
			has_slot = true;
	}
	LWLockRelease(DiskquotaShared->lock);
	return !has_slot && used >= DiskquotaShared->ndbs;
}

/*
 * A worker starts a refresh, after resetting its latch: the wake-ups asked
 * for so far are served by it (what their senders changed, the refresh
 * reads under that data's own locks).  The exchange is a full barrier: the
 * flag is cleared before anything the refresh reads.
 */
void
diskquota_worker_clear_wake_request(DiskquotaDBSlot *slot)
{
	(void) pg_atomic_exchange_u32(&slot->wake_requested, 0);
}

/*
 * Has a wake-up been asked for since the worker's refresh started?  The
 * worker, before it sleeps: the latch that came with it may have been
 * reset by a wait inside the refresh.
 */
bool
diskquota_worker_wake_requested(DiskquotaDBSlot *slot)
{
	return pg_atomic_read_u32(&slot->wake_requested) != 0;
}

/*
 * A worker read diskquota.pause_state: set its slot's flag from it, before
 * publishing the quotas (so that a paused database refuses nothing after a
 * restart), unless pause() or resume() committed after the refresh started
 * (pause_changes: the slot's when it started).  Returns the flag, for
 * diskquota_slot_cancel_writers().
 */
volatile bool *
diskquota_worker_publish_paused(DiskquotaDBSlot *slot, uint64 pause_changes,
								bool paused)
{
	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	if (slot->pause_changes == pause_changes)
		slot->paused = paused;
	LWLockRelease(DiskquotaShared->lock);
	return &slot->paused;
}

/*
 * A worker published the quotas: its database is fresh, from the moment
 * the map is, before the refresh stops statements (which must be for the
 * quota they exceed, not for staleness).
 */
void
diskquota_worker_published(DiskquotaDBSlot *slot)
{
	bool		was_stale;
	char		dbname[NAMEDATALEN];

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	slot->published_at = GetCurrentTimestamp();
	was_stale = slot->stale;
	if (was_stale)
	{
		slot->stale = false;
		pg_atomic_fetch_sub_u32(&DiskquotaShared->nstale, 1);
	}
	strlcpy(dbname, slot->dbname, sizeof(dbname));
	LWLockRelease(DiskquotaShared->lock);
	if (was_stale)
		ereport(LOG,
				(errmsg("diskquota enforces quotas in database \"%s\" again", dbname)));
}
