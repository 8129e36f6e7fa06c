/*-------------------------------------------------------------------------
 *
 * filefeed.c
 *		The file-change feed: Linux inotify on the directories of the
 *		monitored databases, run by the launcher.
 *
 * Stock PostgreSQL has no hook where relation files grow or shrink.  What
 * changes on disk is a file under base/<dboid>/ or
 * pg_tblspc/<spc>/PG_15_<catversion>/<dboid>/, named <relfilenode>,
 * <relfilenode>.<segment>, <relfilenode>_<fork>, or t<backend>_<relfilenode>
 * for temporary relations.  inotify reports every write, truncation,
 * creation and removal of those files, by any process (backends, COPY,
 * index builds, VACUUM, autovacuum), at no cost to the process that writes.
 *
 * The launcher owns one inotify instance.  It watches each monitored
 * database's directory in every tablespace, and the tablespace directories
 * themselves so that it notices a database directory or a tablespace that
 * appears later.  It drains the events when the descriptor is readable,
 * records (database, tablespace, relfilenode, and which forks changed) in
 * the shared active-relation map (activetable.c), so that the worker
 * re-sizes only the changed fork (one stat() for a heap that grew), and,
 * while a quota of the database is near (DQ_NEAR_QUOTA_BYTES), sets the
 * owning worker's latch, at most once per
 * diskquota.load_check_interval so that a bulk load costs a few wake-ups,
 * not one per block.  Under a write load the launcher drains the events
 * every few milliseconds rather than at each one, and a worker about to
 * refresh asks it to drain at once (diskquota_wait_feed_drained), so that
 * the refresh sees every change made before it started.
 *
 * A queue overflow (IN_Q_OVERFLOW), an unreadable event or a full active
 * map marks the databases for a full rescan: a change is never silently
 * missed.  The launcher publishes which databases the feed watches entirely
 * (feed_watched); backends leave the growth of what they write to the feed
 * there, and a database it stops watching is fully rescanned.  Where inotify cannot be used,
 * the workers fall back to the periodic full rescans and say so.
 *
 * This file owns no shared state; all of it is the launcher's memory.
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		filefeed.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dirent.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/pg_tablespace_d.h"
#include "common/relpath.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "diskquota_common.h"
#include "settings.h"
#include "relfile.h"
#include "registry.h"
#include "activetable.h"
#include "filefeed.h"

/* What a watch descriptor watches */
typedef enum WatchKind
{
	WATCH_DATABASE_DIR,			/* relation files of one database */
	WATCH_TABLESPACE_DIR		/* a directory where database dirs appear */
} WatchKind;

typedef struct WatchEntry
{
	int			wd;				/* hash key */
	WatchKind	kind;
	Oid			dbid;			/* WATCH_DATABASE_DIR */
	Oid			spcnode;		/* WATCH_DATABASE_DIR */
	bool		seen;			/* wanted at the last diskquota_feed_watch */
} WatchEntry;

/* Events that change the size of a relation file, or its existence */
#define FILE_EVENTS (IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)
/* Events by which directories to watch appear */
#define DIR_EVENTS (IN_CREATE | IN_MOVED_TO)

/* Per monitored database: when its worker was last woken */
typedef struct FeedDatabase
{
	Oid			dbid;
	TimestampTz last_wake;
	bool		wake_pending;	/* events since the last wake-up */
	bool		unwatched;		/* one of its directories cannot be watched */
} FeedDatabase;

static int	feed_fd = -1;
static HTAB *watches = NULL;
static FeedDatabase *feed_dbs = NULL;
static int	feed_ndbs = 0;
static bool feed_resync = false;	/* a watched directory appeared */
static bool feed_started = false;	/* the first set of watches is in place */
static int	feed_last_events = 0;	/* events read by the last drain */

static FeedDatabase *feed_database(Oid dbid);

/*
 * Start the feed.  Returns false, having said why, if inotify cannot be
 * used; the workers then rely on the periodic full rescans.
 */
bool
diskquota_feed_start(void)
{
	HASHCTL		ctl;

	feed_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (feed_fd < 0)
	{
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("diskquota could not watch relation files: %m"),
				 errdetail("Changes that no statement hook sees (autovacuum truncations) are found only by the full rescans."),
				 errhint("Raise fs.inotify.max_user_instances, or lower diskquota.full_rescan_interval.")));
		return false;
	}
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int);
	ctl.entrysize = sizeof(WatchEntry);
	ctl.hcxt = TopMemoryContext;
	watches = hash_create("diskquota watches", 64, &ctl,
						  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	return true;
}

int
diskquota_feed_fd(void)
{
	return feed_fd;
}

/* Stop the feed (diskquota.file_feed turned off). */
void
diskquota_feed_stop(void)
{
	if (feed_fd < 0)
		return;
	close(feed_fd);
	feed_fd = -1;
	hash_destroy(watches);
	watches = NULL;
	feed_ndbs = 0;
	feed_started = false;
}

/*
 * Watch a directory.  inotify gives an already watched directory its
 * existing descriptor back, so watches that stay are never interrupted.
 * A database directory watched for the first time after the feed started
 * may already hold changes the feed did not see: its database is rescanned.
 */
static void
add_watch(const char *path, uint32 mask, WatchKind kind, Oid dbid, Oid spcnode)
{
	int			wd = inotify_add_watch(feed_fd, path, mask);
	WatchEntry *entry;
	bool		found;

	if (wd < 0)
	{
		/* a directory not there (yet) is no error: its parent is watched */
		if (errno == ENOENT)
			return;
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("diskquota could not watch directory \"%s\": %m", path),
				 errdetail("Changes in the directory are found only by the full rescans."),
				 errhint("Raise fs.inotify.max_user_watches.")));
		if (kind == WATCH_DATABASE_DIR)
		{
			FeedDatabase *db = feed_database(dbid);

			if (db)
				db->unwatched = true;
			diskquota_request_rescan(dbid, DQ_DEGRADED_FEED_UNWATCHED);
		}
		return;
	}
	entry = hash_search(watches, &wd, HASH_ENTER, &found);
	entry->kind = kind;
	entry->dbid = dbid;
	entry->spcnode = spcnode;
	entry->seen = true;
	if (!found && kind == WATCH_DATABASE_DIR && feed_started)
		diskquota_request_rescan(dbid, 0);
}

/*
 * Watch the directories of these databases (and nothing else): base/<db>,
 * pg_tblspc/<spc>/<version>/<db> for every tablespace, and the directories
 * where those may appear.  Pending events are read first: they refer to
 * the watches as they were.
 */
void
diskquota_feed_watch(const Oid *dbids, int ndbs)
{
	HASH_SEQ_STATUS status;
	WatchEntry *entry;
	FeedDatabase *old_dbs = feed_dbs;
	int			old_ndbs = feed_ndbs;
	DIR		   *dir;
	struct dirent *de;
	char		path[MAXPGPATH];
	int			i;
	int			j;

	if (feed_fd < 0)
		return;
	(void) diskquota_feed_drain();

	/* the databases, keeping the wake-up state of those that stay */
	feed_dbs = MemoryContextAllocZero(TopMemoryContext,
									  sizeof(FeedDatabase) * Max(ndbs, 1));
	feed_ndbs = 0;
	for (i = 0; i < ndbs; i++)
	{
		if (!OidIsValid(dbids[i]))
			continue;
		feed_dbs[feed_ndbs].dbid = dbids[i];
		for (j = 0; j < old_ndbs; j++)
		{
			if (old_dbs[j].dbid == dbids[i])
				feed_dbs[feed_ndbs] = old_dbs[j];
		}
		feed_dbs[feed_ndbs].unwatched = false;	/* found out below */
		feed_ndbs++;
	}
	if (old_dbs)
		pfree(old_dbs);
	feed_resync = false;

	hash_seq_init(&status, watches);
	while ((entry = hash_seq_search(&status)) != NULL)
		entry->seen = false;

	for (i = 0; i < feed_ndbs; i++)
	{
		snprintf(path, sizeof(path), "base/%u", feed_dbs[i].dbid);
		add_watch(path, FILE_EVENTS, WATCH_DATABASE_DIR, feed_dbs[i].dbid,
				  DEFAULTTABLESPACE_OID);
	}
	add_watch("pg_tblspc", DIR_EVENTS, WATCH_TABLESPACE_DIR, InvalidOid, InvalidOid);
	dir = AllocateDir("pg_tblspc");
	while ((de = ReadDir(dir, "pg_tblspc")) != NULL)
	{
		Oid			spcnode;

		if (sscanf(de->d_name, "%u", &spcnode) != 1)
			continue;
		snprintf(path, sizeof(path), "pg_tblspc/%u/%s", spcnode,
				 TABLESPACE_VERSION_DIRECTORY);
		add_watch(path, DIR_EVENTS, WATCH_TABLESPACE_DIR, InvalidOid, InvalidOid);
		for (i = 0; i < feed_ndbs; i++)
		{
			snprintf(path, sizeof(path), "pg_tblspc/%u/%s/%u", spcnode,
					 TABLESPACE_VERSION_DIRECTORY, feed_dbs[i].dbid);
			add_watch(path, FILE_EVENTS, WATCH_DATABASE_DIR, feed_dbs[i].dbid,
					  spcnode);
		}
	}
	FreeDir(dir);

	/* what is no longer wanted */
	hash_seq_init(&status, watches);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (entry->seen)
			continue;
		inotify_rm_watch(feed_fd, entry->wd);
		hash_search(watches, &entry->wd, HASH_REMOVE, NULL);
	}
	feed_started = true;
}

static FeedDatabase *
feed_database(Oid dbid)
{
	int			i;

	for (i = 0; i < feed_ndbs; i++)
	{
		if (feed_dbs[i].dbid == dbid)
			return &feed_dbs[i];
	}
	return NULL;
}

/*
 * Record changed files in the active map, one call per run of files of
 * the same database, and note which workers to wake.
 */
static void
flush_files(const DiskquotaFileRef *files, const Oid *dbids, int n)
{
	int			start = 0;

	while (start < n)
	{
		int			end = start + 1;
		FeedDatabase *db = feed_database(dbids[start]);

		while (end < n && dbids[end] == dbids[start])
			end++;
		/* on overflow the database is marked for a full rescan */
		(void) diskquota_mark_files_active(dbids[start], &files[start], end - start);
		/* only a worker with a quota near is woken by the feed */
		if (db && !db->wake_pending && diskquota_database_near_quota(db->dbid))
			db->wake_pending = true;
		start = end;
	}
}

/* Every monitored database must be rescanned: events were lost. */
static void
feed_overflow(void)
{
	int			i;

	ereport(LOG,
			(errmsg("diskquota file-change feed overflowed"),
			 errdetail("Every monitored database is fully rescanned."),
			 errhint("Raise fs.inotify.max_queued_events if this happens often.")));
	for (i = 0; i < feed_ndbs; i++)
		diskquota_request_rescan(feed_dbs[i].dbid, DQ_DEGRADED_FEED_OVERFLOW);
}

/*
 * Read every pending event, record the changed files in the active map,
 * and wake the workers, rate-limited.  Returns true if the watched
 * directories must be set up again (diskquota_feed_watch).
 */
bool
diskquota_feed_drain(void)
{
	char		buf[64 * 1024] pg_attribute_aligned (__alignof__(struct inotify_event));
	DiskquotaFileRef files[256];
	Oid			file_dbs[256];
	int			nfiles = 0;
	bool		overflow = false;
	TimestampTz now;
	int			i;

	if (feed_fd < 0)
		return false;

	feed_last_events = 0;
	for (;;)
	{
		ssize_t		len = read(feed_fd, buf, sizeof(buf));
		char	   *p;

		if (len < 0)
		{
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			{
				ereport(LOG,
						(errcode_for_file_access(),
						 errmsg("diskquota could not read file-change events: %m")));
				overflow = true;
			}
			break;
		}
		for (p = buf; p < buf + len;)
		{
			struct inotify_event *ev = (struct inotify_event *) p;
			WatchEntry *entry;
			Oid			relfilenode;
			BackendId	backend;
			ForkNumber	fork;

			p += sizeof(struct inotify_event) + ev->len;
			feed_last_events++;
			if (ev->mask & IN_Q_OVERFLOW)
			{
				overflow = true;
				continue;
			}
			entry = hash_search(watches, &ev->wd, HASH_FIND, NULL);
			if (entry == NULL || ev->len == 0)
				continue;
			if (entry->kind == WATCH_TABLESPACE_DIR || (ev->mask & IN_ISDIR))
			{
				/* a tablespace or a database directory appeared */
				if (ev->mask & (IN_CREATE | IN_MOVED_TO))
					feed_resync = true;
				continue;
			}

			/*
			 * Other files (PG_VERSION, pg_internal.init...) are not
			 * relations; those of temporary relations cannot be mapped to a
			 * relation (the backends report what they write there).
			 */
			if (!diskquota_parse_relation_file_name(ev->name, &relfilenode,
													&backend, &fork) ||
				backend != InvalidBackendId)
				continue;
			files[nfiles].spcnode = entry->spcnode;
			files[nfiles].relfilenode = relfilenode;
			files[nfiles].forks = (uint8) (1 << fork);
			file_dbs[nfiles] = entry->dbid;
			if (++nfiles == lengthof(files))
			{
				flush_files(files, file_dbs, nfiles);
				nfiles = 0;
			}
		}
	}
	flush_files(files, file_dbs, nfiles);

	if (overflow || diskquota_feed_simulate_overflow)
		feed_overflow();

	/* wake the workers, each at most once per check interval */
	now = GetCurrentTimestamp();
	for (i = 0; i < feed_ndbs; i++)
	{
		FeedDatabase *db = &feed_dbs[i];

		if (!db->wake_pending ||
			!TimestampDifferenceExceeds(db->last_wake, now,
										Max(diskquota_load_check_interval, 10)))
			continue;
		diskquota_wake_worker_near_quota(db->dbid);
		db->last_wake = now;
		db->wake_pending = false;
	}
	return feed_resync;
}

/*
 * How long the launcher may sleep before a delayed wake-up is due (ms), or
 * -1 if none is pending.
 */
long
diskquota_feed_next_wake(void)
{
	TimestampTz now = GetCurrentTimestamp();
	long		result = -1;
	int			i;

	for (i = 0; i < feed_ndbs; i++)
	{
		TimestampTz due;
		long		ms;

		if (!feed_dbs[i].wake_pending)
			continue;
		due = TimestampTzPlusMilliseconds(feed_dbs[i].last_wake,
										  Max(diskquota_load_check_interval, 10));
		ms = due <= now ? 0 : (long) ((due - now) / 1000) + 1;
		if (result < 0 || ms < result)
			result = ms;
	}
	return result;
}

/*
 * Does the feed watch every directory of this database's relation files?
 * Not if one of them could not be watched at the last diskquota_feed_watch.
 */
bool
diskquota_feed_watches(Oid dbid)
{
	FeedDatabase *db;

	if (feed_fd < 0 || !feed_started)
		return false;
	db = feed_database(dbid);
	return db != NULL && !db->unwatched;
}

/* How many events the last drain read (the launcher paces its drains). */
int
diskquota_feed_last_events(void)
{
	return feed_last_events;
}
