/*-------------------------------------------------------------------------
 *
 * activetable.c
 *		The shared active-relation map: which relations of which database
 *		may have changed size or attribution since its worker last looked.
 *
 * Backends feed the map from steps of these hooks, which diskquota.c
 * installs and calls (the order of the steps of all modules: section
 * "Hooks" there):
 *	- ExecutorEnd: the result relations of a writing statement (and the
 *	  partitions rows were routed to) grew, visible to the worker at once.
 *	  Only where the launcher's file-change feed does not watch the
 *	  database (diskquota_feed_watches_my_database), and for temporary
 *	  relations, whose files the feed cannot map: elsewhere the feed sees
 *	  the files grow, and a statement pays nothing here;
 *	- object_access_hook: relations created, altered (SET SCHEMA, OWNER TO,
 *	  rewrites, REFRESH MATERIALIZED VIEW, CLUSTER, VACUUM FULL), truncated
 *	  or dropped; the worker can only see these after commit, so they are
 *	  remembered in the transaction and pushed by the commit callback.  A
 *	  relation created is also handed to enforcement.c, which checks the
 *	  one a CREATE TABLE AS creates against its actual targets;
 *	- ProcessUtility: COPY FROM, VACUUM and REINDEX, which change files
 *	  without a catalog hook; and CREATE/DROP EXTENSION diskquota, which
 *	  the launcher and the worker must learn about.
 * The worker drains its database's entries at each refresh and re-sizes
 * only those relations.  When the map is full, the database is marked for a
 * full rescan instead (diskquota_request_rescan): an update is never lost.
 *
 * Shared state: ActiveMap (a fixed-size hash keyed by database and relation
 * OID) and ActiveMapHeader.
 *
 * Locking: ActiveMapHeader->lock protects ActiveMap and nentries.  Backends
 * take it exclusive to insert, the worker exclusive to drain its entries;
 * both hold it for a hash operation or one pass over the map, never while
 * waiting and never together with another diskquota lock.
 * drain_generation is an atomic counter advanced by every drain; backends
 * read it without the lock as a hint: a relation already pushed since the
 * last drain need not be pushed again.  A stale read only causes a
 * redundant push, never a missed one, because the counter is advanced while
 * the lock is held, before the drained entries are released.
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		activetable.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/namespace.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "tcop/utility.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"

#include "diskquota_common.h"
#include "settings.h"
#include "ownobjects.h"
#include "registry.h"
#include "activetable.h"

/*
 * An entry names a relation by OID (spcnode is InvalidOid), as the hooks
 * know it, or a relation file by tablespace and relfilenode, as the file
 * change feed (filefeed.c) knows it.
 */
typedef struct ActiveMapKey
{
	Oid			dbid;
	Oid			spcnode;
	Oid			id;				/* relation OID or relfilenode */
} ActiveMapKey;

typedef struct ActiveMapEntry
{
	ActiveMapKey key;
	uint8		forks;			/* of a file entry: the forks that changed */
} ActiveMapEntry;

typedef struct ActiveMapHeader
{
	LWLock	   *lock;
	int			nentries;
	pg_atomic_uint64 drain_generation;
} ActiveMapHeader;

static ActiveMapHeader *ActiveHeader = NULL;
static HTAB *ActiveMap = NULL;

/* Backend-local: relations to push when the transaction commits. */
static List *pending_relids = NIL;	/* in TopTransactionContext */
static List *pending_written = NIL; /* likewise */
static bool pending_wake_worker = false;
static bool pending_wake_launcher = false;
static bool pending_rescan = false;

/* Backend-local: relations pushed, and the drain generation at the time. */
static HTAB *pushed_relids = NULL;

typedef struct PushedEntry
{
	Oid			relid;
	uint64		generation;
} PushedEntry;

static void dq_xact_callback(XactEvent event, void *arg);
static void dq_resource_release(ResourceReleasePhase phase, bool isCommit,
								bool isTopLevel, void *arg);

Size
diskquota_active_shmem_size(void)
{
	return add_size(MAXALIGN(sizeof(ActiveMapHeader)),
					hash_estimate_size(diskquota_max_active_tables,
									   sizeof(ActiveMapEntry)));
}

/* Called from the shmem startup hook, with AddinShmemInitLock held. */
void
diskquota_active_shmem_init(void)
{
	HASHCTL		ctl;
	bool		found;

	ActiveHeader = ShmemInitStruct("diskquota active map header",
								   sizeof(ActiveMapHeader), &found);
	if (!found)
	{
		ActiveHeader->lock = &(GetNamedLWLockTranche("diskquota"))[DQ_LWLOCK_ACTIVE].lock;
		ActiveHeader->nentries = 0;
		pg_atomic_init_u64(&ActiveHeader->drain_generation, 0);
	}

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(ActiveMapKey);
	ctl.entrysize = sizeof(ActiveMapEntry);
	ActiveMap = ShmemInitHash("diskquota active map",
							  diskquota_max_active_tables,
							  diskquota_max_active_tables,
							  &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_FIXED_SIZE);
}

/* Called once from _PG_init; the hooks are installed there too. */
void
diskquota_active_register_xact_callbacks(void)
{
	RegisterXactCallback(dq_xact_callback, NULL);
}

/*
 * Something is to be pushed at the end of the transaction: make sure our
 * callback runs then.  It is registered on first need, so that sessions that
 * only run DML (all of whose writes the file-change feed sees) never pay
 * for it at every transaction end.  It stays registered: a callback cannot
 * be unregistered while the callbacks run.
 */
static void
want_end_of_transaction(void)
{
	static bool registered = false;

	if (registered)
		return;
	RegisterResourceReleaseCallback(dq_resource_release, NULL);
	registered = true;
}

/*
 * Is there a worker that will drain entries of this database?  Entries of
 * databases nobody monitors would only fill the map.  When the worker
 * starts later, it sizes everything anyway.
 */
static bool
database_has_worker(void)
{
	DiskquotaDBSlot *slot;
	bool		result;

	LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
	slot = diskquota_find_db_slot(MyDatabaseId);
	result = slot != NULL &&
		(slot->state == DQ_DB_RUNNING || slot->state == DQ_DB_STARTING);
	LWLockRelease(DiskquotaShared->lock);
	return result;
}

/*
 * Insert one entry; the caller holds ActiveHeader->lock exclusive.  False
 * if the map is full.
 */
static bool
insert_entry(Oid dbid, Oid spcnode, Oid id, uint8 forks)
{
	ActiveMapKey key;
	ActiveMapEntry *entry;
	bool		found;

	memset(&key, 0, sizeof(key));
	key.dbid = dbid;
	key.spcnode = spcnode;
	key.id = id;
	entry = hash_search(ActiveMap, &key, HASH_ENTER_NULL, &found);
	if (entry == NULL)
		return false;
	if (!found)
	{
		ActiveHeader->nentries++;
		entry->forks = 0;
	}
	entry->forks |= forks;
	return true;
}

/*
 * Insert relations into the map, and wake the worker if asked to.  Never
 * raises an error: it runs at transaction end.  On overflow the database is
 * marked for a full rescan.
 */
static void
push_relids(const Oid *relids, int n, bool wake)
{
	bool		overflow = false;
	int			i;

	if (n == 0 || !database_has_worker())
		return;

	LWLockAcquire(ActiveHeader->lock, LW_EXCLUSIVE);
	for (i = 0; i < n && !overflow; i++)
		overflow = !insert_entry(MyDatabaseId, InvalidOid, relids[i], 0);
	LWLockRelease(ActiveHeader->lock);

	if (overflow)
		diskquota_request_rescan(MyDatabaseId, DQ_DEGRADED_ACTIVE_MAP_FULL);
	else if (wake)
		diskquota_wake_worker(MyDatabaseId);
}

/*
 * Mark a relation active now: its files changed and the worker can see it.
 * Pushes are skipped for a relation already pushed since the last drain.
 * The worker is not woken: writes are frequent, and a wake-up per write
 * would make the worker refresh continuously.  It sees them at its next
 * refresh, at most diskquota.naptime later.
 */
void
diskquota_mark_relation_active(Oid relid)
{
	uint64		generation;
	PushedEntry *entry;
	bool		found;

	if (ActiveHeader == NULL || !OidIsValid(MyDatabaseId))
		return;

	if (pushed_relids == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(PushedEntry);
		ctl.hcxt = TopMemoryContext;
		pushed_relids = hash_create("diskquota pushed relations", 64, &ctl,
									HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}

	generation = pg_atomic_read_u64(&ActiveHeader->drain_generation);
	entry = hash_search(pushed_relids, &relid, HASH_ENTER, &found);
	if (found && entry->generation == generation)
		return;
	entry->generation = generation;

	/* keep the local table small: it is only a cache */
	if (hash_get_num_entries(pushed_relids) > 4096)
	{
		hash_destroy(pushed_relids);
		pushed_relids = NULL;
	}
	push_relids(&relid, 1, false);
}

/*
 * Mark a relation active when the transaction ends, committed or aborted,
 * after its invalidation messages are sent.
 *
 * With catalog_change, the change is one the worker cannot see before the
 * commit (a new relation, a new relfilenode, a new schema or owner): the
 * relation is pushed in any case and the worker is woken at commit.
 * Without, the relation was written, and is pushed so that the growth of a
 * statement that fails is seen too; like diskquota_mark_relation_active(),
 * that push is skipped if the relation was pushed since the worker's last
 * drain, which keeps short transactions off the shared map's lock.
 */
void
diskquota_mark_relation_active_at_end(Oid relid, bool catalog_change)
{
	MemoryContext oldcontext;

	if (ActiveHeader == NULL || !OidIsValid(MyDatabaseId))
		return;
	want_end_of_transaction();
	oldcontext = MemoryContextSwitchTo(TopTransactionContext);
	if (catalog_change)
	{
		pending_relids = list_append_unique_oid(pending_relids, relid);
		pending_wake_worker = true;
	}
	else
		pending_written = list_append_unique_oid(pending_written, relid);
	MemoryContextSwitchTo(oldcontext);
}

/* Wake the worker of this database when the transaction commits. */
void
diskquota_wake_worker_at_commit(void)
{
	want_end_of_transaction();
	pending_wake_worker = true;
}

static void
reset_pending(void)
{
	/* the list lives in TopTransactionContext, which goes away */
	pending_relids = NIL;
	pending_written = NIL;
	pending_wake_worker = false;
	pending_wake_launcher = false;
	pending_rescan = false;
}

/*
 * Push what the transaction recorded.  Relations are pushed whether it
 * committed or not: an aborted load leaves its data in the files.
 */
static void
flush_pending(bool commit)
{
	ListCell   *lc;

	if (pending_relids != NIL)
	{
		int			n = list_length(pending_relids);
		Oid		   *relids = palloc(sizeof(Oid) * n);
		int			i = 0;

		foreach(lc, pending_relids)
			relids[i++] = lfirst_oid(lc);
		push_relids(relids, n, commit && pending_wake_worker);
		pfree(relids);
	}
	foreach(lc, pending_written)
		diskquota_mark_relation_active(lfirst_oid(lc));
	if (!commit)
		return;
	if (pending_rescan && database_has_worker())
		diskquota_request_rescan(MyDatabaseId, 0);
	if (pending_wake_worker)
		diskquota_wake_worker(MyDatabaseId);
	if (pending_wake_launcher)
		diskquota_wake_launcher();
}

/*
 * At the end of a top-level transaction, after the locks are released.
 * XACT_EVENT_COMMIT would be too early: the callbacks run before the
 * transaction's invalidation messages are sent, so a worker woken then
 * could still find the old catalog rows in its caches.
 */
static void
dq_resource_release(ResourceReleasePhase phase, bool isCommit,
					bool isTopLevel, void *arg)
{
	if (phase != RESOURCE_RELEASE_AFTER_LOCKS || !isTopLevel)
		return;
	flush_pending(isCommit);
	reset_pending();
}

/*
 * A prepared transaction commits later, maybe in another session: its
 * changes are left to the periodic full rescan.
 */
static void
dq_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_PREPARE)
		reset_pending();
}

/*
 * Mark relation files of a database active (the launcher, from the file
 * change feed).  Never raises an error.  Returns false if the map was full:
 * the database is then marked for a full rescan.
 */
bool
diskquota_mark_files_active(Oid dbid, const DiskquotaFileRef *files, int n)
{
	bool		overflow = false;
	int			i;

	if (n == 0)
		return true;
	LWLockAcquire(ActiveHeader->lock, LW_EXCLUSIVE);
	for (i = 0; i < n && !overflow; i++)
		overflow = !insert_entry(dbid, files[i].spcnode, files[i].relfilenode,
								 files[i].forks);
	LWLockRelease(ActiveHeader->lock);
	if (overflow)
		diskquota_request_rescan(dbid, DQ_DEGRADED_ACTIVE_MAP_FULL);
	return !overflow;
}

/*
 * Take all entries of a database out of the map (the worker, at each
 * refresh).  Returns the relation OIDs; the relation files go to *files
 * (DiskquotaFileRef).
 */
List	   *
diskquota_drain_active_relations(Oid dbid, List **files)
{
	HASH_SEQ_STATUS status;
	ActiveMapEntry *entry;
	List	   *result = NIL;

	LWLockAcquire(ActiveHeader->lock, LW_EXCLUSIVE);
	if (ActiveHeader->nentries > 0)
	{
		hash_seq_init(&status, ActiveMap);
		while ((entry = hash_seq_search(&status)) != NULL)
		{
			if (entry->key.dbid != dbid)
				continue;
			if (!OidIsValid(entry->key.spcnode))
				result = lappend_oid(result, entry->key.id);
			else if (files != NULL)
			{
				DiskquotaFileRef *file = palloc(sizeof(DiskquotaFileRef));

				file->spcnode = entry->key.spcnode;
				file->relfilenode = entry->key.id;
				file->forks = entry->forks;
				*files = lappend(*files, file);
			}
			hash_search(ActiveMap, &entry->key, HASH_REMOVE, NULL);
			ActiveHeader->nentries--;
		}
	}
	pg_atomic_fetch_add_u64(&ActiveHeader->drain_generation, 1);
	LWLockRelease(ActiveHeader->lock);
	return result;
}

/* Remove every entry of a database that is no longer monitored. */
void
diskquota_forget_database(Oid dbid)
{
	list_free(diskquota_drain_active_relations(dbid, NULL));
}

/* ----------------------------------------------------------------
 * Hook steps, called by the hooks in diskquota.c
 * ----------------------------------------------------------------
 */

/* The object_access_hook step, after another extension's hook */
void
diskquota_active_object_access(ObjectAccessType access, Oid classId, Oid objectId,
							   int subId, void *arg)
{
	if (classId != RelationRelationId || ActiveHeader == NULL)
		return;
	switch (access)
	{
		case OAT_POST_CREATE:
		case OAT_POST_ALTER:
		case OAT_DROP:
		case OAT_TRUNCATE:
			diskquota_mark_relation_active_at_end(objectId, true);
			break;
		default:
			break;
	}
}

static inline void
mark_result_relation(ResultRelInfo *rri, bool watched)
{
	Relation	rel = rri->ri_RelationDesc;

	if (rel == NULL)
		return;
	/* created or given a new relfilenode in this transaction: see commit */
	if (unlikely(rel->rd_createSubid != InvalidSubTransactionId ||
				 rel->rd_firstRelfilenodeSubid != InvalidSubTransactionId))
		diskquota_mark_relation_active_at_end(RelationGetRelid(rel), true);
	/* the feed cannot map the files of temporary relations to them */
	if ((!watched || rel->rd_rel->relpersistence == RELPERSISTENCE_TEMP) &&
		RELKIND_HAS_STORAGE(rel->rd_rel->relkind))
		diskquota_mark_relation_active(RelationGetRelid(rel));
}

/*
 * After a writing statement, the relations it wrote have grown.  Where the
 * file-change feed watches the database, it has seen the files grow, and
 * only what it cannot see is pushed.  The ExecutorEnd step, before the
 * standard ExecutorEnd.
 */
void
diskquota_active_ExecutorEnd(QueryDesc *queryDesc)
{
	EState	   *estate = queryDesc->estate;

	if (ActiveHeader != NULL && estate != NULL &&
		queryDesc->plannedstmt->resultRelations != NIL)
	{
		bool		watched = diskquota_feed_watches_my_database();
		ListCell   *lc;

		foreach(lc, estate->es_opened_result_relations)
			mark_result_relation((ResultRelInfo *) lfirst(lc), watched);
		foreach(lc, estate->es_tuple_routing_result_relations)
			mark_result_relation((ResultRelInfo *) lfirst(lc), watched);
	}
}

/* The ProcessUtility step: next runs the rest of the chain */
void
diskquota_active_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
								bool readOnlyTree, ProcessUtilityContext context,
								ParamListInfo params, QueryEnvironment *queryEnv,
								DestReceiver *dest, QueryCompletion *qc,
								ProcessUtility_hook_type next)
{
	Node	   *parsetree = pstmt->utilityStmt;
	bool		is_create = false;
	Oid			relid = InvalidOid;

	/*
	 * Resolve the target before execution (the statement may rename it), and
	 * record a COPY target now: if COPY fails, what it wrote is still in the
	 * files.  A partitioned target stands for its partitions: the worker
	 * expands it.
	 */
	if (ActiveHeader != NULL)
	{
		/* utility statements may leave work for the end of the transaction */
		want_end_of_transaction();
		if (IsA(parsetree, CopyStmt) && ((CopyStmt *) parsetree)->is_from &&
			((CopyStmt *) parsetree)->relation != NULL)
		{
			relid = RangeVarGetRelid(((CopyStmt *) parsetree)->relation,
									 NoLock, true);
			if (OidIsValid(relid))
				diskquota_mark_relation_active_at_end(relid, false);
		}
		else if (IsA(parsetree, IndexStmt))
			relid = RangeVarGetRelid(((IndexStmt *) parsetree)->relation,
									 NoLock, true);
	}

	next(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);

	if (ActiveHeader == NULL)
		return;

	switch (nodeTag(parsetree))
	{
		case T_CopyStmt:
			if (OidIsValid(relid))
				diskquota_mark_relation_active(relid);
			break;
		case T_IndexStmt:
			/* CREATE INDEX CONCURRENTLY builds after its creation hook */
			if (OidIsValid(relid))
				diskquota_mark_relation_active_at_end(relid, true);
			break;
		case T_VacuumStmt:
			{
				/*
				 * VACUUM truncates files without a catalog hook; VACUUM
				 * FULL's new relfilenodes are seen by the object access hook
				 * already.  ANALYZE changes no size.
				 */
				VacuumStmt *stmt = (VacuumStmt *) parsetree;
				ListCell   *lc;

				if (!stmt->is_vacuumcmd)
					break;
				if (stmt->rels == NIL)
					pending_rescan = true;
				foreach(lc, stmt->rels)
				{
					VacuumRelation *vrel = lfirst_node(VacuumRelation, lc);

					relid = vrel->oid;
					if (!OidIsValid(relid) && vrel->relation)
						relid = RangeVarGetRelid(vrel->relation, NoLock, true);
					if (OidIsValid(relid))
						diskquota_mark_relation_active_at_end(relid, true);
				}
			}
			break;
		case T_ReindexStmt:
			{
				/* REINDEX assigns new relfilenodes without a catalog hook */
				ReindexStmt *stmt = (ReindexStmt *) parsetree;

				if (stmt->relation)
					relid = RangeVarGetRelid(stmt->relation, NoLock, true);
				if (OidIsValid(relid))
					diskquota_mark_relation_active_at_end(relid, true);
				else
					pending_rescan = true;
			}
			break;
		default:
			if (diskquota_extension_stmt(parsetree, &is_create))
			{
				pending_wake_launcher = true;
				pending_wake_worker = true;
				if (is_create &&
					!diskquota_database_is_monitored(get_database_name(MyDatabaseId)))
					ereport(WARNING,
							(errcode(ERRCODE_WARNING),
							 errmsg("diskquota will not enforce quotas in database \"%s\"",
									get_database_name(MyDatabaseId)),
							 errdetail("The database is not listed in diskquota.monitor_databases."),
							 errhint("Add \"%s\" to diskquota.monitor_databases and reload the configuration.",
									 get_database_name(MyDatabaseId))));
			}
			break;
	}
}
