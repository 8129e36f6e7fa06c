/*-------------------------------------------------------------------------
 *
 * worker.c
 *		The worker of one monitored database: it refreshes the quota model
 *		and publishes the quota map, in a loop.
 *
 * Each worker loops: refresh the model (quotamodel.c) in a short
 * transaction, which publishes the quota map and stops the statements
 * that write into an exceeded target, advance the epoch of its slot, then
 * sleep on its latch for at most diskquota.naptime seconds.  Backends wake
 * it early when they commit catalog changes to relations, and the launcher
 * when files of its database change while a quota is near; a wake-up that
 * comes during a refresh makes it refresh again at once (the slot's
 * wake_requested: registry.c).  It never
 * waits for a lock longer than DQ_LOCK_TIMEOUT (lock_timeout, fixed), nor
 * for the extension's lock at all: anyone can hold or queue such locks.  A
 * refresh that fails on one is rolled back and retried at the next loop
 * (DQ_BLOCKED_RETRY_MS), and status() shows it; if that lasts, the
 * launcher marks the database stale (launcher.c).
 *
 * The worker connects whatever the database's connection settings
 * (BGWORKER_BYPASS_ALLOWCONN), with a fixed configuration that
 * per-database and per-role settings cannot change (ownobjects.c).
 *
 * This file owns no shared state: a worker sets only the fields of its own
 * slot, under the registry's protocol (registry.c).  Its SIGTERM handler
 * reads no shared state: it sets a flag and the latch, and the loop reads
 * state and hold_until of the slot under the lock to decide how to stop
 * (worker_sigterm).
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/xact.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/backend_status.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "diskquota_common.h"
#include "settings.h"
#include "ownobjects.h"
#include "registry.h"
#include "activetable.h"
#include "quotamap.h"
#include "quotamodel.h"
#include "enforcement.h"
#include "worker.h"

static DiskquotaDBSlot *MyDBSlot = NULL;

/* A SIGTERM came: the loop decides how to stop (worker_sigterm) */
static volatile sig_atomic_t worker_sigterm_pending = false;

/* Between the check for a stop and the sleep after the refresh */
static volatile sig_atomic_t worker_busy = false;

/*
 * What die() does to stop a process at its next CHECK_FOR_INTERRUPTS()
 * (the FATAL "terminating ... due to administrator command"), for a
 * process that is not in single-user mode.  Safe in a signal handler.
 */
static void
worker_die_pending(void)
{
	/* Don't joggle the elbow of proc_exit */
	if (!proc_exit_inprogress)
	{
		InterruptPending = true;
		ProcDiePending = true;
	}
	pgStatSessionEndCause = DISCONNECT_KILLED;
	SetLatch(MyLatch);
}

/*
 * SIGTERM of a worker: only set a flag and the latch, so that the loop
 * decides (at its top, under the lock) how to stop.  The launcher (database
 * no longer listed) and DROP DATABASE and the like mark the slot before
 * they send it; a worker that gets it while it sleeps exits with a LOG line
 * saying why, not with the FATAL "terminating ... due to administrator
 * command" of die().  Anything else stops it as die() does: a SIGTERM from
 * another sender (shutdown, pg_terminate_backend) at the loop's top, and
 * at once (as die() does, from the handler) a second SIGTERM, one that
 * comes during a refresh, which may wait for a lock or take long, and one
 * that comes before the worker knows its slot.
 */
static void
worker_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	if (worker_busy || worker_sigterm_pending || MyDBSlot == NULL)
		worker_die_pending();
	worker_sigterm_pending = true;
	SetLatch(MyLatch);
	errno = save_errno;
}


/*
 * A refresh failed on a lock (DQ_LOCK_TIMEOUT, or the extension's lock):
 * say so once per episode, and show it in status() until a refresh
 * succeeds.  The database turns stale if that lasts (DQ_STALE_MS).
 */
static void
worker_refresh_blocked(const char *message)
{
	bool		first_time;
	char		dbname[NAMEDATALEN];

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	first_time = MyDBSlot->blocked_since == 0;
	if (first_time)
		MyDBSlot->blocked_since = GetCurrentTimestamp();
	strlcpy(dbname, MyDBSlot->dbname, sizeof(dbname));
	LWLockRelease(DiskquotaShared->lock);
	if (first_time)
		ereport(WARNING,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("diskquota worker of database \"%s\" could not refresh",
						dbname),
				 errdetail("The refresh failed: %s. Another session holds or waits for a lock the refresh needs. The refresh is retried every second; after %d seconds without one, loads into targets with a quota are refused.",
						   message, DQ_STALE_MS / 1000),
				 errhint("See diskquota.status() and pg_locks.")));
}

/* A refresh succeeded: the episode of blocked refreshes is over. */
static void
worker_refresh_unblocked(void)
{
	TimestampTz since;
	char		dbname[NAMEDATALEN];

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	since = MyDBSlot->blocked_since;
	MyDBSlot->blocked_since = 0;
	strlcpy(dbname, MyDBSlot->dbname, sizeof(dbname));
	LWLockRelease(DiskquotaShared->lock);
	if (since != 0)
		ereport(LOG,
				(errmsg("diskquota worker of database \"%s\" refreshes again",
						dbname),
				 errdetail("Its refreshes had failed on a lock since %s.",
						   timestamptz_to_str(since))));
}

static bool worker_extension_exists(void);

/*
 * One refresh in its own transaction.  Returns false if it failed on a lock
 * (lock_not_available: DQ_LOCK_TIMEOUT, or the extension's lock), after
 * rolling it back; any other error ends the worker, which the launcher
 * restarts.  *exists tells whether the extension is there.
 */
static bool
worker_try_refresh(DiskquotaRefresh *refresh, MemoryContext cycle_context,
				   bool *exists)
{
	volatile bool ok = true;

	PG_TRY();
	{
		MemoryContext oldcontext;

		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		oldcontext = MemoryContextSwitchTo(cycle_context);
		pgstat_report_activity(STATE_RUNNING, "diskquota refresh");

		*exists = worker_extension_exists();
		if (*exists)
			*exists = diskquota_refresh(refresh);

		MemoryContextSwitchTo(oldcontext);
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(TopMemoryContext);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
			PG_RE_THROW();
		FlushErrorState();
		AbortCurrentTransaction();
		MemoryContextSwitchTo(TopMemoryContext);
		worker_refresh_blocked(edata->message);
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

static void
worker_exit(int code, Datum arg)
{
	bool		stopping;

	/* an error may have left our locks held: this runs before their release */
	LWLockReleaseAll();

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	stopping = MyDBSlot->state == DQ_DB_STOPPING;
	MyDBSlot->worker_pid = 0;
	MyDBSlot->worker_latch = NULL;
	MyDBSlot->refreshing = false;
	MyDBSlot->blocked_since = 0;
	if (MyDBSlot->state == DQ_DB_RUNNING || MyDBSlot->state == DQ_DB_STARTING)
		MyDBSlot->state = DQ_DB_STOPPED;
	ConditionVariableBroadcast(&MyDBSlot->epoch_cv);
	DiskquotaShared->reconcile_requested = true;
	if (DiskquotaShared->launcher_latch)
		SetLatch(DiskquotaShared->launcher_latch);
	LWLockRelease(DiskquotaShared->lock);

	/*
	 * The database is no longer monitored: withdraw our quotas, which we may
	 * have published after the launcher decided to stop us.  A worker that
	 * exits while still monitoring (an error) leaves its quotas in force
	 * until its successor's first refresh.
	 */
	if (stopping)
		diskquota_clear_quota_map(MyDatabaseId);
}

/* Leave because the extension is not (or no longer) in this database. */
static void
worker_exit_no_extension(void)
{
	char		dbname[NAMEDATALEN];

	diskquota_clear_quota_map(MyDatabaseId);
	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	MyDBSlot->state = DQ_DB_NO_EXTENSION;
	MyDBSlot->published_at = 0;
	MyDBSlot->blocked_since = 0;
	strlcpy(dbname, MyDBSlot->dbname, NAMEDATALEN);
	LWLockRelease(DiskquotaShared->lock);
	ereport(LOG,
			(errmsg("diskquota does not enforce quotas in database \"%s\"",
					dbname),
			 errdetail("Extension \"%s\" has not been created in the database.",
					   DISKQUOTA_EXTENSION_NAME),
			 errhint("Run CREATE EXTENSION diskquota in that database; the worker starts without a restart.")));
	proc_exit(0);
}

static bool
worker_extension_exists(void)
{
	return OidIsValid(get_extension_oid(DISKQUOTA_EXTENSION_NAME, true));
}


/*
 * Start a refresh: exit if the launcher stopped us (no longer listed) or
 * DROP DATABASE and the like hold us off (see worker_sigterm), with a LOG
 * line; any other SIGTERM stops the worker as die() does, at the next
 * CHECK_FOR_INTERRUPTS().  Then say what this refresh is to do, from the
 * slot: a full rescan (when forced, asked for, or due), the degraded
 * conditions backends reported, the pause changes seen so far.
 */
static void
worker_begin_refresh(DiskquotaRefresh *refresh, TimestampTz start,
					 bool force_full, TimestampTz last_full_rescan)
{
	memset(refresh, 0, sizeof(*refresh));
	refresh->slot = MyDBSlot;
	refresh->near_quota = true;

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	if (MyDBSlot->state == DQ_DB_STOPPING || start < MyDBSlot->hold_until)
	{
		bool		held = MyDBSlot->state != DQ_DB_STOPPING;
		char		dbname[NAMEDATALEN];

		strlcpy(dbname, MyDBSlot->dbname, sizeof(dbname));
		LWLockRelease(DiskquotaShared->lock);
		if (held)
			ereport(LOG,
					(errmsg("diskquota worker of database \"%s\" stops", dbname),
					 errdetail("A command on the database needs the worker out of the way.")));
		else
			ereport(LOG,
					(errmsg("diskquota worker of database \"%s\" stops", dbname),
					 errdetail("The database is no longer listed in diskquota.monitor_databases.")));
		proc_exit(0);
	}
	if (worker_sigterm_pending)
		worker_die_pending();
	MyDBSlot->refreshing = true;
	refresh->full = force_full || MyDBSlot->rescan_requested ||
		(diskquota_full_rescan_interval > 0 &&
		 TimestampDifferenceExceeds(last_full_rescan, start,
									diskquota_full_rescan_interval * 1000));
	MyDBSlot->rescan_requested = false;
	refresh->degraded = MyDBSlot->pending_degraded;
	MyDBSlot->pending_degraded = 0;
	refresh->pause_changes = MyDBSlot->pause_changes;
	LWLockRelease(DiskquotaShared->lock);
}

/*
 * A refresh is over: advance the epoch and show what it found in the slot.
 * The conditions one refresh repairs stay shown for DQ_DEGRADED_SHOWN_MS.
 */
static void
worker_end_refresh(const DiskquotaRefresh *refresh, bool full, TimestampTz start)
{
	static int	recent_degraded = 0;	/* DQ_DEGRADED_TRANSIENT bits met
										 * lately */
	static TimestampTz recent_degraded_at = 0;
	TimestampTz end = GetCurrentTimestamp();

	if (TimestampDifferenceExceeds(recent_degraded_at, end, DQ_DEGRADED_SHOWN_MS))
		recent_degraded = 0;
	if (refresh->degraded & DQ_DEGRADED_TRANSIENT)
	{
		recent_degraded |= refresh->degraded & DQ_DEGRADED_TRANSIENT;
		recent_degraded_at = end;
	}

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	MyDBSlot->refreshing = false;
	MyDBSlot->epoch++;
	MyDBSlot->last_refresh = end;
	MyDBSlot->last_refresh_ms = (double) (end - start) / 1000.0;
	MyDBSlot->degraded = refresh->degraded | recent_degraded;
	MyDBSlot->near_quota = refresh->near_quota;
	if (full)
		MyDBSlot->full_rescans++;
	LWLockRelease(DiskquotaShared->lock);
	ConditionVariableBroadcast(&MyDBSlot->epoch_cv);
}

/*
 * Sleep on the latch for at most timeout ms, ready for SIGTERM; not at all
 * if a wake-up, a reload or a SIGTERM came during the refresh: a wait
 * inside the refresh (for the feed to be drained, for a lock) may have
 * reset the latch that came with it (see "Waking a worker" in registry.c).
 */
static void
worker_sleep(long timeout)
{
	worker_busy = false;
	if (diskquota_worker_wake_requested(MyDBSlot) || ConfigReloadPending ||
		worker_sigterm_pending)
		return;
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 timeout, PG_WAIT_EXTENSION);
}

/*
 * Take the slot of this worker's database, or exit quietly if the database
 * has none (it was removed from the list meanwhile), another worker has it
 * (a duplicate), or a DROP DATABASE (or the like) holds workers off.  From
 * then on worker_exit gives the slot back.  Takes the lock exclusively.
 */
static void
worker_claim_slot(Oid dbid)
{
	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	MyDBSlot = diskquota_find_db_slot(dbid);
	if (MyDBSlot == NULL || MyDBSlot->worker_pid != 0 ||
		GetCurrentTimestamp() < MyDBSlot->hold_until)
	{
		/* removed from the list meanwhile, a duplicate, or held off */
		LWLockRelease(DiskquotaShared->lock);
		MyDBSlot = NULL;
		proc_exit(0);
	}
	MyDBSlot->worker_pid = MyProcPid;
	MyDBSlot->worker_latch = MyLatch;
	MyDBSlot->full_rescans = 0;
	LWLockRelease(DiskquotaShared->lock);
	before_shmem_exit(worker_exit, (Datum) 0);
}

/*
 * Leave (worker_exit_no_extension) if the extension is not created in this
 * database; otherwise show the slot running, and wake whoever waits for
 * its epoch.  Takes the lock exclusively.
 */
static void
worker_start_running(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (!worker_extension_exists())
	{
		CommitTransactionCommand();
		worker_exit_no_extension();
	}
	CommitTransactionCommand();

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	MyDBSlot->state = DQ_DB_RUNNING;
	LWLockRelease(DiskquotaShared->lock);
	ConditionVariableBroadcast(&MyDBSlot->epoch_cv);
}

/* What the worker's loop carries from one refresh to the next */
typedef struct WorkerLoop
{
	TimestampTz last_full_rescan;	/* start of the last full rescan */
	bool		first;			/* no refresh has completed yet */
	bool		force_full;		/* the last refresh was rolled back */
} WorkerLoop;

/*
 * One pass of the worker's loop, its latch reset: begin a refresh (which
 * exits if the worker is to stop), reload the configuration if asked,
 * refresh, and show the outcome in the slot.  Returns how long to sleep
 * (ms) before the next pass: at most DQ_BLOCKED_RETRY_MS after a refresh
 * that failed on a lock; diskquota.naptime, or less while statements
 * write, after one that succeeded.
 */
static long
worker_refresh_cycle(WorkerLoop *loop, MemoryContext cycle_context)
{
	DiskquotaRefresh refresh;
	bool		full;
	bool		exists = false;
	bool		blocked;
	TimestampTz start;

	start = GetCurrentTimestamp();
	worker_begin_refresh(&refresh, start, loop->force_full || loop->first,
						 loop->last_full_rescan);
	full = refresh.full;

	CHECK_FOR_INTERRUPTS();
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
	}

	/*
	 * A refresh that waits for a lock longer than DQ_LOCK_TIMEOUT (or cannot
	 * have the extension's lock) fails with lock_not_available: it is rolled
	 * back, logged once per episode, shown by status(), and retried at the
	 * next loop, as a full rescan (what it drained from the active map is
	 * lost).  Any other error ends the worker, which the launcher restarts.
	 */
	blocked = !worker_try_refresh(&refresh, cycle_context, &exists);
	pgstat_report_activity(STATE_IDLE, NULL);
	MemoryContextReset(cycle_context);

	if (blocked)
	{
		loop->force_full = true;
		LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
		MyDBSlot->refreshing = false;
		LWLockRelease(DiskquotaShared->lock);
		return Min(diskquota_naptime * 1000L, DQ_BLOCKED_RETRY_MS);
	}
	loop->force_full = false;
	worker_refresh_unblocked();

	if (!exists)
		worker_exit_no_extension();

	if (full)
		loop->last_full_rescan = start;
	loop->first = false;
	worker_end_refresh(&refresh, full, start);

	/*
	 * not long while statements write, so that one crossing a quota is
	 * stopped soon
	 */
	if (refresh.writing && diskquota_load_check_interval > 0)
		return Min(diskquota_naptime * 1000L, diskquota_load_check_interval);
	return diskquota_naptime * 1000L;
}

void
diskquota_worker_main(Datum main_arg)
{
	Oid			dbid = DatumGetObjectId(main_arg);
	WorkerLoop	loop;
	MemoryContext cycle_context;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, worker_sigterm);
	BackgroundWorkerUnblockSignals();

	/*
	 * A fixed configuration, whatever the database's owner set for it (ALTER
	 * DATABASE ... SET), and a connection whatever its connection settings
	 * (ALLOW_CONNECTIONS false): see ownobjects.c.
	 */
	diskquota_fix_worker_settings();
	BackgroundWorkerInitializeConnectionByOid(dbid, InvalidOid,
											  BGWORKER_BYPASS_ALLOWCONN);
	diskquota_check_worker_identity();
	pgstat_report_appname("diskquota worker");

	worker_claim_slot(dbid);
	worker_start_running();

	diskquota_model_init();
	diskquota_enforcement_exempt_process();
	cycle_context = AllocSetContextCreate(TopMemoryContext,
										  "diskquota refresh cycle",
										  ALLOCSET_DEFAULT_SIZES);

	loop.last_full_rescan = 0;
	loop.first = true;
	loop.force_full = false;
	for (;;)
	{
		long		naptime;

		/*
		 * Wake-ups from now on ask for the next refresh, not this one: reset
		 * the latch, then clear the flag that comes with it (registry.c).
		 */
		ResetLatch(MyLatch);
		diskquota_worker_clear_wake_request(MyDBSlot);
		worker_busy = true;

		naptime = worker_refresh_cycle(&loop, cycle_context);

		/* Sleep holding no snapshot and no lock. */
		worker_sleep(naptime);
	}
}
