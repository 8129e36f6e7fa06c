/*-------------------------------------------------------------------------
 *
 * launcher.c
 *		The launcher: one per cluster, it keeps a worker running for each
 *		monitored database, runs the file-change feed, and marks databases
 *		whose worker does not refresh as stale.
 *
 * The launcher is a static background worker that connects to no
 * database.  It reads diskquota.monitor_databases, gives each listed
 * database a slot in the registry (registry.c) and keeps one dynamic
 * worker (worker.c) running per slot; a database held off by DROP
 * DATABASE and the like (hold.c) gets no worker until the hold ends.  It
 * runs the file-change feed (filefeed.c): it drains the feed into the
 * active map, at once when a worker about to refresh asks (and then
 * broadcasts feed_drained_cv: registry.c), and wakes a worker when files
 * of its database change while a quota there is near.  It never waits for a lock longer than
 * DQ_LOCK_TIMEOUT (lock_timeout, fixed).
 *
 * Fail closed: a database whose worker is expected to refresh but has not
 * been seen refreshing it for DQ_STALE_MS (blocked refreshes, a dead or
 * held-off worker, no free background worker slot) is marked stale by the
 * launcher, which looks every second; backends then refuse loads into its
 * targets that have a quota (into every target if nothing was ever
 * published), and the launcher asks the statements writing into them to
 * stop.
 *
 * The launcher owns no shared state of its own: it is the only process
 * that gives and frees the registry's slots, under the registry's protocol
 * (registry.c).  What it keeps of each slot (the worker's handle) is in
 * its own memory.
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		launcher.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "diskquota_common.h"
#include "settings.h"
#include "ownobjects.h"
#include "registry.h"
#include "activetable.h"
#include "quotamap.h"
#include "backendslot.h"
#include "filefeed.h"
#include "enforcement.h"
#include "launcher.h"

/*
 * The launcher drains the file-change feed at most this often (ms): often
 * enough not to delay a worker's wake-up noticeably while a quota is near,
 * rarely enough that a write load does not wake the launcher for every
 * event.  While no quota is near, the workers are not woken by the feed,
 * and the events may gather longer.  The kernel queue holds far more events
 * than arrive in that time.
 */
#define FEED_DRAIN_INTERVAL_MS			10
#define FEED_DRAIN_INTERVAL_RELAXED_MS	100
/*
 * A drain that read more events than this drains again after the short
 * interval: at the rate of a busy write load, the kernel queue
 * (fs.inotify.max_queued_events, 16384 by default) could overflow within the
 * relaxed one.
 */
#define FEED_BUSY_EVENTS				1024

/* Is a quota of some monitored database near (DQ_NEAR_QUOTA_BYTES)? */
static bool
any_quota_near(void)
{
	bool		result = false;
	int			i;

	LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
	for (i = 0; i < DiskquotaShared->ndbs; i++)
	{
		if (DiskquotaShared->dbs[i].state != DQ_DB_UNUSED &&
			DiskquotaShared->dbs[i].near_quota)
			result = true;
	}
	LWLockRelease(DiskquotaShared->lock);
	return result;
}


/* Launcher: which drain requests of workers are pending (0: none)? */
static uint64
feed_drain_requested(void)
{
	uint64		result;

	LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
	result = DiskquotaShared->feed_drain_requests > DiskquotaShared->feed_drains_done ?
		DiskquotaShared->feed_drain_requests : 0;
	LWLockRelease(DiskquotaShared->lock);
	return result;
}

/*
 * Launcher: requests up to this one are served; wake the workers waiting
 * for them (diskquota_wait_feed_drained).
 */
static void
feed_drain_served(uint64 request)
{
	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	if (DiskquotaShared->feed_drains_done < request)
		DiskquotaShared->feed_drains_done = request;
	LWLockRelease(DiskquotaShared->lock);
	ConditionVariableBroadcast(&DiskquotaShared->feed_drained_cv);
}

/*
 * The launcher, for a stale database: does a running statement's write go
 * into a target with a quota?  A partitioned table (no owner published)
 * counts as the database, if the database has quotas.
 */
static bool
stale_write(Oid dbid, const DiskquotaSlotWrite *write,
			DiskquotaTarget *target)
{
	if (!OidIsValid(write->owner) &&
		diskquota_database_staleness(dbid, NULL, NULL) == DQ_STALE)
	{
		memset(target, 0, sizeof(*target));
		target->type = DQ_DATABASE_QUOTA;
		target->oid = dbid;
		return true;
	}
	return diskquota_rejected_target(dbid, write->nspoid, write->owner,
									 write->spcoid, false, target);
}

/* Register the launcher: from _PG_init, at shared_preload_libraries time */
void
diskquota_launcher_register(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "diskquota");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "diskquota_launcher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "diskquota launcher");
	snprintf(worker.bgw_type, BGW_MAXLEN, "diskquota launcher");
	RegisterBackgroundWorker(&worker);
}

/* What the launcher keeps about each slot, in its own memory. */
typedef struct LauncherSlotInfo
{
	BackgroundWorkerHandle *handle; /* NULL when we started no worker */
	TimestampTz next_start;		/* do not start a worker before this */
} LauncherSlotInfo;

static LauncherSlotInfo *launcher_info = NULL;

static void launcher_publish_feed_coverage(bool feed_on);

static void
launcher_exit(int code, Datum arg)
{
	/* an error may have left our locks held: this runs before their release */
	LWLockReleaseAll();
	/* nobody watches the files any more */
	launcher_publish_feed_coverage(false);
	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	if (DiskquotaShared->launcher_pid == MyProcPid)
	{
		DiskquotaShared->launcher_pid = 0;
		DiskquotaShared->launcher_latch = NULL;
	}
	LWLockRelease(DiskquotaShared->lock);
}

/*
 * Publish which databases the file-change feed watches (feed_watched).  A
 * database whose flag changes is fully rescanned, after the change: when
 * the feed stops watching it, because backends skipped pushing writes while
 * the flag was set (see diskquota_feed_watches_my_database); when it starts,
 * because a statement that read the flag set at its end may have grown
 * files before the watch was in place.  When the feed stops, the workers
 * waiting for a drain are woken (they find feed_active cleared).  Never
 * raises an error.
 */
static void
launcher_publish_feed_coverage(bool feed_on)
{
	Oid		   *changed;
	int			nchanged = 0;
	bool		was_active;
	int			i;

	if (DiskquotaShared == NULL)
		return;
	changed = palloc(sizeof(Oid) * DiskquotaShared->ndbs);
	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	for (i = 0; i < DiskquotaShared->ndbs; i++)
	{
		DiskquotaDBSlot *slot = &DiskquotaShared->dbs[i];
		bool		watched = feed_on && slot->state != DQ_DB_UNUSED &&
		OidIsValid(slot->dbid) && diskquota_feed_watches(slot->dbid);

		if (slot->feed_watched != watched && OidIsValid(slot->dbid))
			changed[nchanged++] = slot->dbid;
		slot->feed_watched = watched;
	}
	was_active = DiskquotaShared->feed_active;
	DiskquotaShared->feed_active = feed_on;
	LWLockRelease(DiskquotaShared->lock);
	if (was_active && !feed_on)
		ConditionVariableBroadcast(&DiskquotaShared->feed_drained_cv);
	for (i = 0; i < nchanged; i++)
		diskquota_request_rescan(changed[i], 0);
}

/*
 * Ask the worker of a slot to stop; the caller holds the lock exclusively.
 * The handle is kept: launcher_worker_alive() tells when it has exited.
 */
static void
launcher_stop_worker(int i)
{
	DiskquotaDBSlot *slot = &DiskquotaShared->dbs[i];

	if (launcher_info[i].handle)
		TerminateBackgroundWorker(launcher_info[i].handle);
	else if (slot->worker_pid != 0)
		kill(slot->worker_pid, SIGTERM);
}

/*
 * Is a worker process still there for a slot (started by us, or left by an
 * earlier launcher)?  The caller holds the lock exclusively.
 */
static bool
launcher_worker_alive(int i)
{
	if (launcher_info[i].handle)
	{
		pid_t		pid;

		switch (GetBackgroundWorkerPid(launcher_info[i].handle, &pid))
		{
			case BGWH_STARTED:
			case BGWH_NOT_YET_STARTED:
				return true;
			case BGWH_STOPPED:
			case BGWH_POSTMASTER_DIED:
				pfree(launcher_info[i].handle);
				launcher_info[i].handle = NULL;
				break;
		}
	}
	return DiskquotaShared->dbs[i].worker_pid != 0;
}

/* Start the worker of a slot; the caller holds the lock exclusively. */
static void
launcher_start_worker(int i)
{
	DiskquotaDBSlot *slot = &DiskquotaShared->dbs[i];
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	MemoryContext oldcontext;
	bool		registered;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "diskquota");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "diskquota_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "diskquota worker for database \"%s\"", slot->dbname);
	snprintf(worker.bgw_type, BGW_MAXLEN, "diskquota worker");
	worker.bgw_main_arg = ObjectIdGetDatum(slot->dbid);
	worker.bgw_notify_pid = MyProcPid;

	launcher_info[i].next_start = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
															  diskquota_naptime * 1000);
	/* the handle outlives the launcher's loop context */
	oldcontext = MemoryContextSwitchTo(TopMemoryContext);
	registered = RegisterDynamicBackgroundWorker(&worker, &handle);
	MemoryContextSwitchTo(oldcontext);
	if (!registered)
	{
		if (slot->state != DQ_DB_START_FAILED)
			ereport(LOG,
					(errmsg("diskquota could not start a worker for database \"%s\"", slot->dbname),
					 errdetail("No background worker slot is free; quotas in this database are not refreshed until one is."),
					 errhint("Increase max_worker_processes. The launcher retries every diskquota.naptime seconds.")));
		slot->state = DQ_DB_START_FAILED;
		return;
	}
	launcher_info[i].handle = handle;
	slot->state = DQ_DB_STARTING;
	slot->extension_events_seen = DiskquotaShared->extension_events;
}

/*
 * Look database names up in pg_database.  Connected to no database, the
 * launcher cannot use the catalog indexes (get_database_oid), so it scans
 * the shared catalog like the autovacuum launcher does.
 */
static Oid *
launcher_lookup_databases(List *names)
{
	Oid		   *dboids = palloc0(sizeof(Oid) * (list_length(names) + 1));
	MemoryContext caller = CurrentMemoryContext;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while (HeapTupleIsValid(tuple = heap_getnext(scan, ForwardScanDirection)))
	{
		Form_pg_database form = (Form_pg_database) GETSTRUCT(tuple);
		ListCell   *lc;
		int			n = 0;

		foreach(lc, names)
		{
			if (strcmp(NameStr(form->datname), (char *) lfirst(lc)) == 0)
				dboids[n] = form->oid;
			n++;
		}
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	MemoryContextSwitchTo(caller);
	return dboids;
}

/*
 * launcher_lookup_databases(), or NULL if pg_database is locked: anyone
 * can queue an exclusive lock on it (ALTER INDEX pg_catalog.pg_database
 * DEPENDS ON EXTENSION opens the relation before checking anything), and
 * the lookup then fails on DQ_LOCK_TIMEOUT.  The launcher skips that
 * round, and still marks stale databases (launcher_check_freshness).
 */
static Oid *
launcher_try_lookup_databases(List *names)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid		   *dboids = NULL;

	PG_TRY();
	{
		dboids = launcher_lookup_databases(names);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
			PG_RE_THROW();
		FlushErrorState();
		AbortCurrentTransaction();
		MemoryContextSwitchTo(caller);
		ereport(LOG,
				(errmsg("diskquota launcher could not read catalog \"pg_database\""),
				 errdetail("The lookup failed: %s. Workers are started and stopped again once the launcher can read it.",
						   edata->message)));
		FreeErrorData(edata);
		dboids = NULL;
	}
	PG_END_TRY();
	return dboids;
}

/*
 * Listed databases the launcher said it cannot monitor (more are listed
 * than diskquota.max_databases): names in TopMemoryContext.
 */
static List *launcher_beyond_limit = NIL;

static bool
name_in_list(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		if (strcmp((char *) lfirst(lc), name) == 0)
			return true;
	}
	return false;
}

/*
 * The names listed in diskquota.monitor_databases, in the order listed
 * (which is the order in which they get slots).
 */
static List *
launcher_listed_names(void)
{
	char	   *rawstring;
	List	   *names;

	rawstring = pstrdup(diskquota_monitor_databases ? diskquota_monitor_databases : "");
	if (!SplitIdentifierString(rawstring, ',', &names))
		names = NIL;			/* cannot happen: the check hook rejects it */
	return names;
}

/*
 * Is a slot's database still listed: the same name, with the OID the name
 * has now (a database dropped and created again under the same name is
 * another database)?  dboids[n] is the OID of the n-th name, InvalidOid if
 * no database has that name.  The caller holds the lock.
 */
static bool
launcher_slot_listed(const DiskquotaDBSlot *slot, List *names, const Oid *dboids)
{
	ListCell   *lc;
	int			n = 0;
	bool		keep = false;

	foreach(lc, names)
	{
		if (strcmp(slot->dbname, (char *) lfirst(lc)) == 0 &&
			slot->dbid == dboids[n])
			keep = true;
		n++;
	}
	return keep;
}

/*
 * Give a slot back to the pool: forget its database and everything its
 * worker reported, wake whoever waits for its epoch (they find the slot
 * gone), and tell the backends that cached its index (slots_changed).  The
 * caller holds the lock exclusively and knows that no worker process is
 * left for the slot.
 */
static void
launcher_free_slot(int i)
{
	DiskquotaDBSlot *slot = &DiskquotaShared->dbs[i];

	ConditionVariableBroadcast(&slot->epoch_cv);
	slot->state = DQ_DB_UNUSED;
	slot->dbid = InvalidOid;
	slot->dbname[0] = '\0';
	slot->worker_latch = NULL;
	slot->epoch = 0;
	slot->refreshing = false;
	slot->degraded = 0;
	slot->pending_degraded = 0;
	slot->rescan_requested = false;
	slot->feed_watched = false;
	slot->near_quota = false;
	slot->paused = false;
	slot->hold_until = 0;
	slot->last_refresh = 0;
	slot->published_at = 0;
	slot->blocked_since = 0;
	slot->expected_since = 0;
	slot->good_at = 0;
	if (slot->stale)
		pg_atomic_fetch_sub_u32(&DiskquotaShared->nstale, 1);
	slot->stale = false;
	pg_atomic_fetch_add_u32(&DiskquotaShared->slots_changed, 1);
	launcher_info[i].next_start = 0;
}

/*
 * First step of a reconcile: free the slots of databases that are no longer
 * listed, or were dropped.  A slot whose worker still runs is only marked
 * STOPPING (and its worker asked to stop), and freed at a later round once
 * the worker has exited: until then the worker writes into it.  The OIDs of
 * the databases whose slot was freed go into forget[] (room for ndbs); the
 * number of them is returned.  The caller holds the lock exclusively.
 */
static int
launcher_free_unlisted_slots(List *names, const Oid *dboids, Oid *forget)
{
	int			nforget = 0;
	int			i;

	for (i = 0; i < DiskquotaShared->ndbs; i++)
	{
		DiskquotaDBSlot *slot = &DiskquotaShared->dbs[i];

		if (slot->state == DQ_DB_UNUSED)
			continue;
		if (launcher_slot_listed(slot, names, dboids))
			continue;
		if (launcher_worker_alive(i))
		{
			if (slot->state != DQ_DB_STOPPING)
			{
				launcher_stop_worker(i);
				slot->state = DQ_DB_STOPPING;
			}
			continue;
		}
		if (OidIsValid(slot->dbid))
			forget[nforget++] = slot->dbid;
		launcher_free_slot(i);
	}
	return nforget;
}

/*
 * The slot of a listed database: the one it has, or the first free one,
 * which it gets now.  Returns -1 when it gets none this round: every slot
 * is in use only because workers of databases removed from the list are
 * still exiting (their exit wakes the launcher to try again), or more
 * databases are listed than there are slots; the latter is logged once,
 * until the database gets a slot or is unlisted, and its name appended to
 * *beyond_limit.  The caller holds the lock exclusively.
 */
static int
launcher_listed_slot(const char *name, Oid dboid, int nlisted,
					 List **beyond_limit)
{
	DiskquotaDBSlot *slot;
	int			free_i = -1;
	int			i;

	for (i = 0; i < DiskquotaShared->ndbs; i++)
	{
		if (DiskquotaShared->dbs[i].state == DQ_DB_UNUSED)
		{
			if (free_i < 0)
				free_i = i;
		}
		else if (strcmp(DiskquotaShared->dbs[i].dbname, name) == 0 &&
				 DiskquotaShared->dbs[i].dbid == dboid)
			return i;
	}

	if (free_i < 0 && nlisted <= DiskquotaShared->ndbs)
		return -1;				/* workers of unlisted databases are exiting */
	if (free_i < 0)
	{
		/* said once, until the database gets a slot or is unlisted */
		if (!name_in_list(launcher_beyond_limit, name))
			ereport(LOG,
					(errmsg("diskquota cannot monitor database \"%s\"", name),
					 errdetail("diskquota.monitor_databases lists more than %d databases.",
							   DiskquotaShared->ndbs),
					 errhint("Increase diskquota.max_databases and restart the server.")));
		*beyond_limit = lappend(*beyond_limit, (char *) name);
		return -1;
	}

	slot = &DiskquotaShared->dbs[free_i];
	strlcpy(slot->dbname, name, NAMEDATALEN);
	slot->dbid = dboid;
	slot->state = OidIsValid(dboid) ? DQ_DB_STOPPED : DQ_DB_NO_DATABASE;
	pg_atomic_fetch_add_u32(&DiskquotaShared->slots_changed, 1);
	if (!OidIsValid(dboid))
		ereport(LOG,
				(errmsg("database \"%s\" listed in diskquota.monitor_databases does not exist", name),
				 errhint("Create the database, or remove it from diskquota.monitor_databases and reload the configuration.")));
	return free_i;
}

/*
 * Start the worker of a slot whose database exists, if no worker process
 * is there and a start is due (the comments below say when).  The caller
 * holds the lock exclusively.
 */
static void
launcher_start_worker_if_due(int i, TimestampTz now)
{
	DiskquotaDBSlot *slot = &DiskquotaShared->dbs[i];

	/* A worker being stopped is restarted once it has exited. */
	if (slot->state == DQ_DB_STOPPING)
	{
		if (launcher_worker_alive(i))
			return;
		slot->state = DQ_DB_STOPPED;
	}

	/*
	 * Is the worker still there?  One that exited (the postmaster logs why)
	 * is restarted diskquota.naptime after its start.
	 */
	if (launcher_worker_alive(i))
		return;
	if (slot->state == DQ_DB_STARTING || slot->state == DQ_DB_RUNNING)
		slot->state = DQ_DB_STOPPED;

	/*
	 * A worker that found no extension is started again only once an
	 * extension was created (or dropped) somewhere since it started.
	 */
	if (slot->state == DQ_DB_NO_EXTENSION &&
		slot->extension_events_seen == DiskquotaShared->extension_events)
		return;
	if (now < launcher_info[i].next_start && slot->state != DQ_DB_NO_EXTENSION)
		return;
	/* a DROP DATABASE (or the like) of it is under way */
	if (now < slot->hold_until)
		return;
	launcher_start_worker(i);
}

/*
 * Second step of a reconcile: give each listed database a slot, in the
 * order listed, and start what is missing.  Returns the names of the
 * databases left without a slot because too many are listed.  The caller
 * holds the lock exclusively.
 */
static List *
launcher_start_listed_workers(List *names, const Oid *dboids, TimestampTz now)
{
	List	   *beyond_limit = NIL;
	ListCell   *lc;
	int			n = 0;

	foreach(lc, names)
	{
		char	   *name = (char *) lfirst(lc);
		Oid			dboid = dboids[n++];
		int			i;

		i = launcher_listed_slot(name, dboid, list_length(names), &beyond_limit);
		if (i < 0 || !OidIsValid(dboid))
			continue;
		launcher_start_worker_if_due(i, now);
	}
	return beyond_limit;
}

/*
 * Remember which databases were said to be beyond the limit (in
 * TopMemoryContext, for the next round), replacing what was remembered.
 */
static void
launcher_remember_beyond_limit(List *beyond_limit)
{
	MemoryContext oldcontext;
	ListCell   *lc;

	list_free_deep(launcher_beyond_limit);
	launcher_beyond_limit = NIL;
	oldcontext = MemoryContextSwitchTo(TopMemoryContext);
	foreach(lc, beyond_limit)
		launcher_beyond_limit = lappend(launcher_beyond_limit,
										pstrdup((char *) lfirst(lc)));
	MemoryContextSwitchTo(oldcontext);
}

/*
 * Bring the slots in line with diskquota.monitor_databases: stop workers of
 * databases no longer listed, start (or restart) workers of listed ones.
 * Returns the OIDs of the listed databases that exist (in the loop's
 * context); *ok is false, and nothing is done, if pg_database could not be
 * read (launcher_try_lookup_databases).
 */
static List *
launcher_reconcile(bool *ok)
{
	List	   *names;
	Oid		   *dboids;
	Oid		   *forget;
	int			nforget;
	List	   *beyond_limit;
	List	   *monitored = NIL;
	TimestampTz now = GetCurrentTimestamp();
	int			n;
	int			i;

	names = launcher_listed_names();
	dboids = launcher_try_lookup_databases(names);
	if (dboids == NULL)
	{
		*ok = false;
		return NIL;
	}
	*ok = true;
	/* allocated before taking the lock: no allocation while holding it */
	forget = palloc(sizeof(Oid) * DiskquotaShared->ndbs);

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	nforget = launcher_free_unlisted_slots(names, dboids, forget);
	beyond_limit = launcher_start_listed_workers(names, dboids, now);
	LWLockRelease(DiskquotaShared->lock);

	launcher_remember_beyond_limit(beyond_limit);

	/* what was published or recorded for the databases whose slot is freed */
	for (i = 0; i < nforget; i++)
	{
		diskquota_clear_quota_map(forget[i]);
		diskquota_forget_database(forget[i]);
	}
	for (n = 0; n < list_length(names); n++)
	{
		if (OidIsValid(dboids[n]))
			monitored = list_append_unique_oid(monitored, dboids[n]);
	}
	return monitored;
}

/* The database launcher_check_freshness() stops statements in */
static Oid	launcher_cancel_dbid = InvalidOid;

static bool
launcher_stale_write(const DiskquotaSlotWrite *write, DiskquotaTarget *target)
{
	return stale_write(launcher_cancel_dbid, write, target);
}

/*
 * A statement whose targets did not fit in its slot: any may have a quota,
 * if the database has quotas (it has published them)
 */
static bool
launcher_stale_overflow(uint64 epoch, DiskquotaTarget *target)
{
	memset(target, 0, sizeof(*target));
	target->type = DQ_DATABASE_QUOTA;
	target->oid = launcher_cancel_dbid;
	return diskquota_database_staleness(launcher_cancel_dbid, NULL, NULL) == DQ_STALE;
}

/*
 * Fail closed: mark stale every monitored database whose worker is
 * expected to refresh (the extension is there as far as we know, and
 * diskquota is not paused) but has not been seen refreshing it for
 * DQ_STALE_MS (see there), whatever the reason: its refreshes fail on a
 * lock, its worker died, crash-loops, was held off (DROP DATABASE and the
 * like) or found no background worker slot.  Backends then refuse loads into its targets
 * that have a quota (quotamap.c), and here the statements that write
 * into them are asked to stop, as the worker would.  The worker clears the
 * mark when it publishes again (diskquota_worker_published).  Called at
 * least every second by the launcher, which never waits for a lock for
 * long.
 */
static void
launcher_check_freshness(void)
{
	TimestampTz now = GetCurrentTimestamp();
	int			ndbs = DiskquotaShared->ndbs;
	int		   *stale_i = palloc(sizeof(int) * ndbs);
	bool	   *newly = palloc0(sizeof(bool) * ndbs);
	char	   *names = palloc(NAMEDATALEN * ndbs);
	int			n = 0;
	int			i;

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	for (i = 0; i < ndbs; i++)
	{
		DiskquotaDBSlot *slot = &DiskquotaShared->dbs[i];
		bool		expected;
		bool		stale = false;

		expected = OidIsValid(slot->dbid) && !slot->paused &&
			(slot->state == DQ_DB_STARTING || slot->state == DQ_DB_RUNNING ||
			 slot->state == DQ_DB_STOPPED || slot->state == DQ_DB_START_FAILED);
		if (!expected)
			slot->expected_since = 0;
		else
		{
			if (slot->expected_since == 0)
				slot->expected_since = now;
			/* refreshing: a worker runs, has published, is not blocked */
			if (slot->state == DQ_DB_RUNNING && slot->worker_pid != 0 &&
				slot->published_at != 0 && slot->blocked_since == 0 &&
				slot->hold_until <= now)
				slot->good_at = now;
			stale = TimestampDifferenceExceeds(Max(slot->good_at, slot->expected_since),
											   now, DQ_STALE_MS);
		}
		if (stale)
		{
			newly[n] = !slot->stale;
			strlcpy(names + n * NAMEDATALEN, slot->dbname, NAMEDATALEN);
			stale_i[n++] = i;
		}
		if (stale != slot->stale)
		{
			slot->stale = stale;
			if (stale)
				pg_atomic_fetch_add_u32(&DiskquotaShared->nstale, 1);
			else
				pg_atomic_fetch_sub_u32(&DiskquotaShared->nstale, 1);
		}
	}
	LWLockRelease(DiskquotaShared->lock);

	for (i = 0; i < n; i++)
	{
		DiskquotaDBSlot *slot = &DiskquotaShared->dbs[stale_i[i]];

		if (newly[i])
			ereport(WARNING,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("diskquota cannot enforce quotas in database \"%s\"",
							names + i * NAMEDATALEN),
					 errdetail("Its usage has not been refreshed for %d seconds: loads into its targets that have a quota are refused until it is.",
							   DQ_STALE_MS / 1000),
					 errhint("See diskquota.status() for why.")));
		/* the slot is freed only by us: dbid stays */
		launcher_cancel_dbid = slot->dbid;
		diskquota_slot_cancel_writers(slot->dbid, launcher_stale_write,
									  launcher_stale_overflow, &slot->paused);
	}
	launcher_cancel_dbid = InvalidOid;
}

/*
 * Become the launcher in shared memory, and stop the workers an earlier
 * launcher left: they cannot be adopted (we hold no handle on them), and
 * the reconcile that follows starts new ones.  Takes the lock exclusively.
 */
static void
launcher_take_over(void)
{
	int			i;

	launcher_info = MemoryContextAllocZero(TopMemoryContext,
										   sizeof(LauncherSlotInfo) * DiskquotaShared->ndbs);

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	DiskquotaShared->launcher_pid = MyProcPid;
	DiskquotaShared->launcher_latch = MyLatch;
	/* Workers of an earlier launcher cannot be adopted: stop them. */
	for (i = 0; i < DiskquotaShared->ndbs; i++)
		launcher_stop_worker(i);
	LWLockRelease(DiskquotaShared->lock);
	before_shmem_exit(launcher_exit, (Datum) 0);
}

/*
 * What the launcher's loop keeps from one pass to the next while
 * diskquota.file_feed keeps its value (launcher_run).
 */
typedef struct LauncherLoop
{
	bool		feed_on;		/* the file-change feed runs */
	WaitEventSet *set;			/* the latch, postmaster death and the feed */
	WaitEventSet *quiet;		/* the same without the feed, to let its
								 * events gather */
	TimestampTz last_drain;		/* the feed was last drained then */
	int			drain_interval; /* ms between drains, set by launcher_wait */
	TimestampTz last_reconcile; /* 0: reconcile at the next pass */
	TimestampTz last_freshness; /* launcher_check_freshness() last ran then */
	List	   *watched;		/* databases the feed watches (an OID list in
								 * TopMemoryContext) */
	bool		resync;			/* the feed's watches are to be set again */
} LauncherLoop;

/*
 * Start the feed if diskquota.file_feed says so (and it can be started),
 * publish which databases it watches, and make the wait event sets of the
 * loop (in TopMemoryContext: they outlive the loop's context).
 */
static void
launcher_loop_begin(LauncherLoop *loop)
{
	loop->last_freshness = 0;
	loop->watched = NIL;
	loop->resync = true;
	loop->drain_interval = FEED_DRAIN_INTERVAL_RELAXED_MS;

	loop->feed_on = diskquota_file_feed && diskquota_feed_start();
	launcher_publish_feed_coverage(loop->feed_on);
	loop->set = CreateWaitEventSet(TopMemoryContext, 3);
	AddWaitEventToSet(loop->set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(loop->set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
	if (loop->feed_on)
		AddWaitEventToSet(loop->set, WL_SOCKET_READABLE, diskquota_feed_fd(), NULL, NULL);
	/* the same without the feed, to let its events gather */
	loop->quiet = CreateWaitEventSet(TopMemoryContext, 2);
	AddWaitEventToSet(loop->quiet, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	AddWaitEventToSet(loop->quiet, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
	loop->last_drain = 0;
	loop->last_reconcile = 0;
}

/*
 * diskquota.file_feed changed: free the wait event sets, tell that the
 * feed watches no database any more (which has them rescanned), and stop
 * the feed.
 */
static void
launcher_loop_end(LauncherLoop *loop)
{
	FreeWaitEventSet(loop->set);
	FreeWaitEventSet(loop->quiet);
	launcher_publish_feed_coverage(false);
	diskquota_feed_stop();
	list_free(loop->watched);
}

/* Have the feed watch the directories of exactly these databases. */
static void
launcher_watch_databases(LauncherLoop *loop, List *monitored)
{
	int			n = list_length(monitored);
	Oid		   *dbids = palloc(sizeof(Oid) * Max(n, 1));
	ListCell   *lc;
	int			i = 0;

	foreach(lc, monitored)
		dbids[i++] = lfirst_oid(lc);
	diskquota_feed_watch(dbids, n);
	loop->resync = false;
}

/*
 * A round of the launcher (every diskquota.naptime, and whenever something
 * asks for one): bring the slots in line with diskquota.monitor_databases,
 * mark stale databases, and have the feed watch the monitored databases.
 * If pg_database could not be read, the databases watched so far stay.
 */
static void
launcher_round(LauncherLoop *loop, TimestampTz now)
{
	bool		ok;
	List	   *monitored = launcher_reconcile(&ok);

	launcher_check_freshness();
	loop->last_freshness = now;
	if (!ok)
		monitored = loop->watched;

	/* watch the directories of exactly the monitored databases */
	if (loop->feed_on && (loop->resync || !equal(monitored, loop->watched)))
		launcher_watch_databases(loop, monitored);
	/* also for slots that got their database OID just now */
	launcher_publish_feed_coverage(loop->feed_on);
	if (monitored != loop->watched)
	{
		MemoryContext oldcontext = MemoryContextSwitchTo(TopMemoryContext);

		list_free(loop->watched);
		loop->watched = list_copy(monitored);
		MemoryContextSwitchTo(oldcontext);
	}
	loop->last_reconcile = now;
}

/*
 * Sleep until the latch is set, the feed has events (unless it was drained
 * less than the drain interval ago: then its events gather meanwhile), a
 * wake-up the feed owes a worker is due, or a second has passed
 * (launcher_check_freshness).  Sets loop->drain_interval for this pass.
 * When the latch was set, a reconcile is due at the next pass unless the
 * only reason was a worker's drain request.  Takes the lock exclusively,
 * briefly.
 */
static void
launcher_wait(LauncherLoop *loop, TimestampTz now)
{
	WaitEventSet *waitset;
	WaitEvent	event;
	long		timeout;

	/* at least every second: launcher_check_freshness */
	timeout = Min(diskquota_naptime * 1000L, 1000L);
	if (loop->feed_on)
	{
		long		wake = diskquota_feed_next_wake();

		if (wake >= 0 && wake < timeout)
			timeout = wake;
	}

	/*
	 * Under a write load, events arrive continuously: drain them at most
	 * every drain interval, letting them gather in the kernel queue
	 * meanwhile, rather than wake up for each one.
	 */
	loop->drain_interval = any_quota_near() ||
		diskquota_feed_last_events() > FEED_BUSY_EVENTS ?
		FEED_DRAIN_INTERVAL_MS : FEED_DRAIN_INTERVAL_RELAXED_MS;
	if (loop->feed_on &&
		!TimestampDifferenceExceeds(loop->last_drain, now, loop->drain_interval))
	{
		timeout = Min(timeout, loop->drain_interval);
		waitset = loop->quiet;
	}
	else
		waitset = loop->set;
	if (WaitEventSetWait(waitset, timeout, &event, 1, PG_WAIT_EXTENSION) == 1 &&
		(event.events & WL_LATCH_SET))
	{
		ResetLatch(MyLatch);

		/*
		 * A worker's drain request alone does not need a reconcile; anything
		 * else does (a poke, the postmaster telling that a worker started or
		 * stopped).
		 */
		LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
		if (DiskquotaShared->reconcile_requested ||
			DiskquotaShared->feed_drain_requests == DiskquotaShared->feed_drains_done)
			loop->last_reconcile = 0;
		DiskquotaShared->reconcile_requested = false;
		LWLockRelease(DiskquotaShared->lock);
	}
}

/*
 * Drain the feed into the active map if a worker about to refresh asked
 * for it (then tell the workers that asked: feed_drain_served), if the
 * drain interval has passed, or if a wake-up the feed owes a worker is due
 * (the drain does it).  A directory to watch that appeared has the watches
 * set again at a reconcile at the next pass.
 */
static void
launcher_serve_feed(LauncherLoop *loop)
{
	TimestampTz now = GetCurrentTimestamp();
	uint64		request;

	/* a worker about to refresh wants everything drained now */
	request = loop->feed_on ? feed_drain_requested() : 0;
	/* so does a wake-up that is due: it is done by the drain */
	if (loop->feed_on &&
		(request != 0 ||
		 TimestampDifferenceExceeds(loop->last_drain, now, loop->drain_interval) ||
		 diskquota_feed_next_wake() == 0))
	{
		loop->last_drain = now;
		if (diskquota_feed_drain())
		{
			/* a directory to watch appeared */
			loop->resync = true;
			loop->last_reconcile = 0;
		}
		if (request != 0)
			feed_drain_served(request);
	}
}

/*
 * The launcher's loop while diskquota.file_feed keeps its value (and the
 * feed, if on, stays open): a round every diskquota.naptime (or when asked
 * for), the freshness check every second, a wait, and the feed served.
 * What one pass allocates lives in loop_context, reset at the start of
 * every pass.  Returns when diskquota.file_feed changed or the feed closed.
 */
static void
launcher_run(MemoryContext loop_context)
{
	LauncherLoop loop;

	launcher_loop_begin(&loop);
	while (loop.feed_on == (diskquota_file_feed && diskquota_feed_fd() >= 0))
	{
		TimestampTz now;

		MemoryContextReset(loop_context);
		MemoryContextSwitchTo(loop_context);

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			loop.last_reconcile = 0;
			if (loop.feed_on != diskquota_file_feed)
				break;
		}

		now = GetCurrentTimestamp();
		if (TimestampDifferenceExceeds(loop.last_reconcile, now, diskquota_naptime * 1000))
			launcher_round(&loop, now);
		if (TimestampDifferenceExceeds(loop.last_freshness, now, 1000))
		{
			launcher_check_freshness();
			loop.last_freshness = now;
		}
		launcher_wait(&loop, now);
		launcher_serve_feed(&loop);
	}
	launcher_loop_end(&loop);
}

void
diskquota_launcher_main(Datum main_arg)
{
	MemoryContext loop_context;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/* No database: the launcher reads shared catalogs only. */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	/* never wait for a lock for long: see DQ_LOCK_TIMEOUT */
	SetConfigOption("lock_timeout", DQ_LOCK_TIMEOUT, PGC_SUSET, PGC_S_OVERRIDE);

	launcher_take_over();
	ereport(LOG, (errmsg("diskquota launcher started")));

	/*
	 * What one pass of the loop allocates lives in loop_context, reset at the
	 * start of every pass (as pg_cron's CronLoopContext).  What lives longer
	 * is allocated in TopMemoryContext explicitly: the wait event sets, the
	 * list of watched databases, launcher_beyond_limit and the feed's state
	 * (filefeed.c).
	 */
	loop_context = AllocSetContextCreate(TopMemoryContext,
										 "diskquota launcher loop",
										 ALLOCSET_DEFAULT_SIZES);

	/* once per value of diskquota.file_feed */
	for (;;)
	{
		MemoryContextReset(loop_context);
		MemoryContextSwitchTo(loop_context);
		launcher_run(loop_context);
	}
}
