/*-------------------------------------------------------------------------
 *
 * registry.h
 *		The registry of monitored databases: their slots in shared memory
 *		(registry.c; the locking protocol is in its header comment).
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		registry.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_REGISTRY_H
#define DISKQUOTA_REGISTRY_H

#include "datatype/timestamp.h"
#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/lwlock.h"

#include "diskquota_common.h"
#include "settings.h"

/*
 * State of one monitored database, as shown by diskquota.status().
 */
typedef enum DiskquotaDBState
{
	DQ_DB_UNUSED = 0,			/* slot is free */
	DQ_DB_STARTING,				/* worker registered, not yet running */
	DQ_DB_RUNNING,				/* worker is refreshing this database */
	DQ_DB_NO_DATABASE,			/* listed, but no such database */
	DQ_DB_NO_EXTENSION,			/* database exists, extension not created */
	DQ_DB_START_FAILED,			/* no background worker slot was free */
	DQ_DB_STOPPED,				/* worker exited; launcher will restart it */
	DQ_DB_STOPPING				/* no longer listed; worker being stopped */
} DiskquotaDBState;

/*
 * One slot per monitored database, in shared memory (registry.c).
 * The fields are protected by DiskquotaShared->lock, with the exceptions
 * that registry.c's header comment lists.
 */
typedef struct DiskquotaDBSlot
{
	Oid			dbid;			/* InvalidOid while unknown */
	char		dbname[NAMEDATALEN];
	DiskquotaDBState state;
	int			worker_pid;		/* 0 when no worker runs */
	Latch	   *worker_latch;	/* NULL when no worker runs */
	bool		refreshing;		/* a refresh is under way */
	uint64		epoch;			/* completed refreshes */
	TimestampTz last_refresh;	/* end of the last refresh */
	double		last_refresh_ms;	/* its duration */
	int			degraded;		/* DQ_DEGRADED_* bits shown by status() */
	bool		rescan_requested;	/* next refresh must be a full rescan */
	int			pending_degraded;	/* DQ_DEGRADED_* bits reported by backends */
	uint64		full_rescans;	/* full rescans done by the current worker */
	uint64		extension_events_seen;	/* extension_events at worker start */
	bool		feed_watched;	/* the feed sees every file change here */
	bool		near_quota;		/* a quota is within DQ_NEAR_QUOTA_BYTES */
	bool		paused;			/* diskquota.pause(): enforce nothing */
	TimestampTz hold_until;		/* no worker before then (DROP DATABASE) */
	uint64		pause_changes;	/* pause() and resume() commits */
	TimestampTz blocked_since;	/* refreshes fail on a lock since (0: no) */
	TimestampTz expected_since; /* a refresh is expected since (launcher) */
	TimestampTz good_at;		/* last seen refreshing (launcher) */
	TimestampTz published_at;	/* the worker last published the quotas */
	bool		stale;			/* not refreshing for DQ_STALE_MS: fail closed */
	ConditionVariable epoch_cv; /* broadcast when epoch advances */
	pg_atomic_uint32 wake_requested;	/* set with the worker's latch by
										 * whoever wakes it, cleared by the
										 * worker as a refresh starts (no
										 * lock: see registry.c) */
} DiskquotaDBSlot;

typedef struct DiskquotaSharedState
{
	LWLock	   *lock;			/* protects launcher_* and dbs[] */
	int			launcher_pid;
	Latch	   *launcher_latch;
	uint64		extension_events;	/* CREATE/DROP EXTENSION diskquota count */
	bool		feed_active;	/* the launcher watches files (filefeed.c) */
	bool		reconcile_requested;	/* launcher: look at the slots now */
	pg_atomic_uint32 slots_changed; /* advanced when a slot gets or loses a
									 * database (read without the lock) */
	pg_atomic_uint32 nstale;	/* slots with stale set (changed with the lock
								 * held exclusive, read without it) */
	uint64		feed_drain_requests;	/* asked of the launcher by workers */
	uint64		feed_drains_done;	/* requests the launcher has served */
	ConditionVariable feed_drained_cv;	/* broadcast when feed_drains_done
										 * advances or feed_active is cleared */
	int			ndbs;			/* length of dbs[] (diskquota.max_databases) */
	DiskquotaDBSlot dbs[FLEXIBLE_ARRAY_MEMBER];
} DiskquotaSharedState;

extern DiskquotaSharedState *DiskquotaShared;

/*
 * A monitored database whose worker is expected to refresh it (it has the
 * extension as far as diskquota knows, and diskquota is not paused there)
 * but has not been seen refreshing it for this long is "stale": backends
 * refuse loads into its targets that have a quota (every load if its
 * worker never published the quotas), and the launcher stops the
 * statements that write into them (fail closed).  "Refreshing" is: a worker
 * runs, has published the quotas, and its last refresh did not fail on a
 * lock.  The launcher looks every second.  10 s: a blocked refresh is
 * retried several times first (DQ_LOCK_TIMEOUT, DQ_BLOCKED_RETRY_MS), and
 * a worker that exited is normally back within diskquota.naptime.  It does
 * not depend on diskquota.naptime, which may be long for quiet databases.
 */
#define DQ_STALE_MS		10000
/* A refresh that failed on a lock is retried after at most this (ms) */
#define DQ_BLOCKED_RETRY_MS	1000

/*
 * Is some monitored database stale?  One atomic read, on the path of every
 * writing statement (with diskquota_any_rejected()).
 */
static inline bool
diskquota_any_stale(void)
{
	return DiskquotaShared != NULL &&
		pg_atomic_read_u32(&DiskquotaShared->nstale) > 0;
}

/* diskquota_database_staleness(): fresh, stale, stale and never refreshed */
#define DQ_FRESH			0
#define DQ_STALE			1
#define DQ_STALE_UNKNOWN	2

/* diskquota_database_staleness(): what keeps a stale database's worker */
#define DQ_STALE_WHY_BLOCKED		1	/* its refresh waits for a lock */
#define DQ_STALE_WHY_HELD			2	/* DROP DATABASE and the like (hold.c) */
#define DQ_STALE_WHY_NO_WORKER_SLOT	3	/* no background worker slot free */
#define DQ_STALE_WHY_NOT_RUNNING	4	/* its worker is not running */
#define DQ_STALE_WHY_NO_REFRESH		5	/* it runs but completed no refresh */


/* Shared memory, from the shmem hooks of diskquota.c */
extern Size diskquota_registry_shmem_size(void);
extern void diskquota_registry_shmem_init(void);
extern void diskquota_require_shmem(void);

/* Slots: the caller holds DiskquotaShared->lock */
extern DiskquotaDBSlot *diskquota_find_db_slot(Oid dbid);

/* Waking the launcher and the workers */
extern void diskquota_slot_wake_worker(DiskquotaDBSlot *slot);
extern void diskquota_wake_worker(Oid dbid);
extern void diskquota_wake_worker_near_quota(Oid dbid);
extern void diskquota_prepare_wake_from_handler(void);
extern void diskquota_wake_worker_from_handler(void);
extern void diskquota_wake_launcher(void);
extern void diskquota_poke_launcher(void);
extern void diskquota_request_rescan(Oid dbid, int degraded_reason);
extern bool diskquota_wait_feed_drained(void);

/* What backends and the SQL functions read */
extern bool diskquota_database_near_quota(Oid dbid);
extern bool diskquota_feed_watches_my_database(void);
extern bool diskquota_paused(void);
extern void diskquota_set_paused(Oid dbid, bool paused);
extern uint64 diskquota_current_epoch(Oid dbid, bool *running);
extern uint64 diskquota_my_epoch(void);
extern int	diskquota_database_staleness(Oid dbid, TimestampTz *since, int *why);
extern bool diskquota_database_is_monitored(const char *dbname);
extern bool diskquota_database_beyond_limit(const char *dbname);

/* What a worker reports of its refresh, and how it learns of wake-ups */
extern void diskquota_worker_clear_wake_request(DiskquotaDBSlot *slot);
extern bool diskquota_worker_wake_requested(DiskquotaDBSlot *slot);
extern volatile bool *diskquota_worker_publish_paused(DiskquotaDBSlot *slot,
													  uint64 pause_changes,
													  bool paused);
extern void diskquota_worker_published(DiskquotaDBSlot *slot);

#endif							/* DISKQUOTA_REGISTRY_H */
