/*-------------------------------------------------------------------------
 *
 * backendslot.c
 *		Per-backend slots: what each backend's running statement writes,
 *		the relation files its open transaction created, and the requests
 *		of the worker to stop a statement.
 *
 * The worker reads the catalog with its own snapshot, so it cannot see
 * relations that a transaction created, or relfilenodes it assigned
 * (TRUNCATE, VACUUM FULL, CLUSTER, ALTER TABLE rewrites), before the commit.
 * Each backend therefore publishes, in its slot, the files of those
 * relations with the schema and role they are charged to; the worker stats
 * them at each refresh and adds them to the usage.  They are withdrawn when
 * the transaction ends: after a commit the worker finds them in pg_class.
 *
 * A transaction that creates more files than its slot holds
 * (DQ_SLOT_MAX_FILES) sets files_overflow; one that is prepared with files
 * published is recorded in the shared list of prepared transactions
 * (SlotsHeader->prepared) at PREPARE, since its files stay uncommitted
 * after its session withdrew them.  In both cases the worker finds the
 * files in pg_class with a dirty snapshot (quotamodel.c), until the
 * transaction ends.  The session that runs COMMIT PREPARED reports the
 * relations whose pg_class rows the transaction wrote (moves to another
 * schema or owner), so that the worker re-reads them (no shared state).
 *
 * While a writing statement runs, the slot also holds the relations and
 * targets it writes and a generation number that identifies the statement.
 * Relations beyond DQ_MAX_STATEMENT_WRITES are kept only as their targets
 * (schema, owner, tablespace, temporary: many relations of one tenant take
 * one entry) in targets[]; if those do not fit either, or the backend could
 * not list all the query writes, targets_overflow is set with the quota
 * map's rejection epoch of that moment, and the worker stops the statement
 * when any target of the database becomes rejected after it.  Relations
 * left out are re-sized by full rescans while such a statement runs, unless
 * the feed reports them (overflow_temp: some are temporary).
 * Without the file-change feed (and for temporary relations, whose files the
 * feed cannot map), the worker re-sizes those relations at each refresh and
 * refreshes often while some statement writes (diskquota.load_check_interval);
 * with it, the feed reports their files as they grow.  When one of the
 * targets is rejected, the worker records (generation, target) in the slot.
 * The backend polls its slot from a timeout while the statement runs and
 * cancels itself if the request is for the generation it is running; the
 * cancel is then turned into the quota error (enforcement.c).  A request
 * for an earlier generation is ignored: it can never hit a later statement.
 *
 * Shared state: BackendSlots, one DiskquotaBackendSlot per backend, indexed
 * by BackendId - 1, after SlotsHeader.
 *
 * SlotsHeader->mutex (a spinlock) protects nprepared, prepared[] and
 * overflows: a backend appends at PRE_PREPARE (or counts an overflow), any
 * worker removes the entries whose transaction is no longer in progress
 * (checked with the spinlock released).  The list holds
 * max_prepared_transactions + MaxBackends entries: as many prepared
 * transactions as can exist, and one being prepared per backend.
 *
 * Locking: each slot's spinlock, mutex, protects every field but
 * cancel_generation.  Only the owning backend writes pid, dbid, generation,
 * writing, writes, targets (with their overflow fields) and files; only a
 * worker (or the launcher, stopping the writers of a database that fails
 * closed) writes cancel_target, and it does so holding the spinlock and
 * only if generation still is the one it examined.  cancel_generation is an
 * atomic written by the worker or the launcher (with the
 * spinlock held, together with cancel_target), or reset by diskquota.pause()
 * and read without any lock by the owning backend's timeout handler, which
 * must not take a spinlock.  Nothing else is done while a spinlock is held.
 * maint_generation, maint_budget and maint_target (a maintenance statement's
 * budget, diskquota_slot_set_maintenance) are written by the owning backend
 * and read by the worker, both with the spinlock held; they apply only
 * while generation equals maint_generation, so they lapse with the
 * statement.
 * The worker may peek at dbid, pid and writing without the spinlock, only
 * to skip a slot cheaply: a stale value skips a slot that starts writing
 * just now (it is seen at the next refresh) or costs a needless spinlock;
 * whatever it then uses it reads again with the spinlock held.
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		backendslot.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "access/twophase.h"
#include "access/xact.h"
#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "diskquota_common.h"
#include "ownobjects.h"
#include "registry.h"
#include "activetable.h"
#include "quotamap.h"
#include "backendslot.h"

#define DQ_SLOT_MAX_FILES	64
#define DQ_MAX_STATEMENT_TARGETS 16

typedef struct DiskquotaBackendSlot
{
	slock_t		mutex;
	int			pid;			/* 0 when unused */
	Oid			dbid;
	uint64		generation;		/* of the current or last writing statement */
	bool		writing;		/* a writing statement runs */
	int			nwrites;
	bool		writes_overflow;	/* the statement writes more than fit */
	DiskquotaSlotWrite writes[DQ_MAX_STATEMENT_WRITES];
	/* the targets of the writes that did not fit, relid InvalidOid */
	int			ntargets;
	bool		targets_overflow;	/* and their targets did not fit either */
	bool		overflow_temp;	/* a temporary relation did not fit */
	uint64		overflow_epoch; /* diskquota_reject_epoch() at
								 * targets_overflow */
	DiskquotaSlotWrite targets[DQ_MAX_STATEMENT_TARGETS];
	int			nfiles;
	bool		files_overflow; /* the transaction created more than fit */
	DiskquotaSlotFile files[DQ_SLOT_MAX_FILES];
	pg_atomic_uint64 cancel_generation; /* 0: no request */
	DiskquotaTarget cancel_target;
	/* a maintenance statement's budget: diskquota_slot_set_maintenance() */
	uint64		maint_generation;	/* of that statement; 0: none */
	int64		maint_budget;
	DiskquotaTarget maint_target;
} DiskquotaBackendSlot;

static DiskquotaBackendSlot *BackendSlots = NULL;
static DiskquotaBackendSlot *MySlot = NULL;

/*
 * Prepared transactions that created or rewrote relations: their files
 * stay uncommitted, and invisible to the worker's snapshot, until COMMIT
 * or ROLLBACK PREPARED, maybe in another session.
 */
typedef struct DiskquotaPreparedXact
{
	Oid			dbid;
	TransactionId xid;
} DiskquotaPreparedXact;

typedef struct DiskquotaSlotsHeader
{
	slock_t		mutex;
	int			nprepared;
	uint64		overflows;		/* transactions that did not fit */
	DiskquotaPreparedXact prepared[FLEXIBLE_ARRAY_MEMBER];
} DiskquotaSlotsHeader;

static DiskquotaSlotsHeader *SlotsHeader = NULL;
static uint64 seen_overflows = 0;	/* worker: SlotsHeader->overflows seen */

#define DQ_MAX_PREPARED_XACTS	(max_prepared_xacts + MaxBackends)
#define DQ_SLOTS_HEADER_SIZE \
	MAXALIGN(add_size(offsetof(DiskquotaSlotsHeader, prepared), \
					  mul_size(DQ_MAX_PREPARED_XACTS, sizeof(DiskquotaPreparedXact))))


static void slot_resource_release(ResourceReleasePhase phase, bool isCommit,
								  bool isTopLevel, void *arg);
static void slot_xact_callback(XactEvent event, void *arg);

Size
diskquota_slot_shmem_size(void)
{
	return add_size(DQ_SLOTS_HEADER_SIZE,
					mul_size(MaxBackends, sizeof(DiskquotaBackendSlot)));
}

/* Called from the shmem startup hook, with AddinShmemInitLock held. */
void
diskquota_slot_shmem_init(void)
{
	bool		found;

	SlotsHeader = ShmemInitStruct("diskquota backend slots",
								  diskquota_slot_shmem_size(), &found);
	BackendSlots = (DiskquotaBackendSlot *)
		((char *) SlotsHeader + DQ_SLOTS_HEADER_SIZE);
	if (!found)
	{
		int			i;

		memset(SlotsHeader, 0, diskquota_slot_shmem_size());
		SpinLockInit(&SlotsHeader->mutex);
		for (i = 0; i < MaxBackends; i++)
		{
			SpinLockInit(&BackendSlots[i].mutex);
			pg_atomic_init_u64(&BackendSlots[i].cancel_generation, 0);
		}
	}
}

/* Files published in the current transaction (backend-local) */
static bool files_published = false;
static bool callback_registered = false;

/* Called once from _PG_init */
void
diskquota_slot_register_xact_callbacks(void)
{
	/* slot_resource_release is registered when the first file is published */
	RegisterXactCallback(slot_xact_callback, NULL);
}

/* Claim (pid != 0) or release a slot, emptied. */
static void
slot_set_owner(DiskquotaBackendSlot *slot, int pid, Oid dbid)
{
	SpinLockAcquire(&slot->mutex);
	slot->pid = pid;
	slot->dbid = dbid;
	slot->writing = false;
	slot->nwrites = 0;
	slot->nfiles = 0;
	slot->writes_overflow = false;
	slot->files_overflow = false;
	slot->ntargets = 0;
	slot->targets_overflow = false;
	slot->overflow_temp = false;
	SpinLockRelease(&slot->mutex);
}

static void
slot_release(int code, Datum arg)
{
	slot_set_owner(MySlot, 0, InvalidOid);
	MySlot = NULL;
}

/* This backend's slot, claimed on first use; NULL if it has none. */
static DiskquotaBackendSlot *
my_slot(void)
{
	if (MySlot == NULL && BackendSlots != NULL && OidIsValid(MyDatabaseId) &&
		MyBackendId != InvalidBackendId && MyBackendId <= MaxBackends)
	{
		MySlot = &BackendSlots[MyBackendId - 1];
		slot_set_owner(MySlot, MyProcPid, MyDatabaseId);
		on_shmem_exit(slot_release, (Datum) 0);
	}
	return MySlot;
}

/* ----------------------------------------------------------------
 * Backend side
 * ----------------------------------------------------------------
 */

/*
 * A write that does not fit in writes[]: its target goes into targets[]
 * (a partitioned table, which has none, as it is), once; if that is full
 * too, the statement is to be stopped when any target of the database
 * becomes rejected after epoch.  The spinlock is held.
 */
static void
slot_add_target(DiskquotaBackendSlot *slot, const DiskquotaSlotWrite *write,
				uint64 epoch)
{
	DiskquotaSlotWrite target = *write;
	int			j;

	slot->writes_overflow = true;
	if (write->temp)
		slot->overflow_temp = true;
	if (OidIsValid(target.owner))
		target.relid = InvalidOid;
	for (j = 0; j < slot->ntargets; j++)
	{
		if (memcmp(&slot->targets[j], &target, sizeof(DiskquotaSlotWrite)) == 0)
			return;
	}
	if (slot->ntargets < DQ_MAX_STATEMENT_TARGETS)
		slot->targets[slot->ntargets++] = target;
	else if (!slot->targets_overflow)
	{
		slot->targets_overflow = true;
		slot->overflow_epoch = epoch;
	}
}

/*
 * A writing statement starts (outermost) or a nested one adds what it
 * writes.  Returns the generation of the statement.  The writes were
 * checked against the quota map just before (ExecutorStart, or the utility
 * hook): the rejection epoch read here is what a statement whose targets
 * do not fit is stopped after.
 */
uint64
diskquota_slot_begin_write(bool outermost, const DiskquotaSlotWrite *writes, int n,
						   int overflow)
{
	DiskquotaBackendSlot *slot = my_slot();
	uint64		generation;
	uint64		epoch;
	int			i;

	if (slot == NULL)
		return 0;
	epoch = diskquota_reject_epoch();
	SpinLockAcquire(&slot->mutex);
	if (outermost)
	{
		slot->generation++;
		slot->writing = true;
		slot->nwrites = 0;
		slot->writes_overflow = false;
		slot->ntargets = 0;
		slot->targets_overflow = false;
		slot->overflow_temp = false;
	}
	for (i = 0; i < n; i++)
	{
		int			j;

		/* nested executions often write the same relation again */
		for (j = 0; j < slot->nwrites; j++)
		{
			if (memcmp(&slot->writes[j], &writes[i], sizeof(DiskquotaSlotWrite)) == 0)
				break;
		}
		if (j < slot->nwrites)
			continue;
		if (slot->nwrites == DQ_MAX_STATEMENT_WRITES)
		{
			slot_add_target(slot, &writes[i], epoch);
			continue;
		}
		slot->writes[slot->nwrites++] = writes[i];
	}
	/* the caller could not even list all it writes: fail closed */
	if (overflow & DQ_SLOT_WRITES_OVERFLOW)
	{
		slot->writes_overflow = true;
		if (overflow & DQ_SLOT_TEMP_OVERFLOW)
			slot->overflow_temp = true;
		if (!slot->targets_overflow)
		{
			slot->targets_overflow = true;
			slot->overflow_epoch = epoch;
		}
	}
	generation = slot->generation;
	SpinLockRelease(&slot->mutex);
	return generation;
}

/*
 * Copy what the running statement writes, as published (nested executions
 * included), into buf (DQ_MAX_STATEMENT_WRITES entries); returns how many.
 */
int
diskquota_slot_copy_writes(DiskquotaSlotWrite *buf)
{
	int			n = 0;

	if (MySlot == NULL)
		return 0;
	SpinLockAcquire(&MySlot->mutex);
	if (MySlot->writing)
	{
		n = MySlot->nwrites;
		memcpy(buf, MySlot->writes, sizeof(DiskquotaSlotWrite) * n);
	}
	SpinLockRelease(&MySlot->mutex);
	return n;
}

/* The outermost writing statement ends, however it ends. */
void
diskquota_slot_end_write(void)
{
	if (MySlot == NULL)
		return;
	SpinLockAcquire(&MySlot->mutex);
	MySlot->generation++;
	MySlot->writing = false;
	MySlot->nwrites = 0;
	MySlot->writes_overflow = false;
	MySlot->ntargets = 0;
	MySlot->targets_overflow = false;
	MySlot->overflow_temp = false;
	SpinLockRelease(&MySlot->mutex);
}

/*
 * Has the worker asked to stop the statement of this generation?  Called
 * from a timeout handler: no lock, only an atomic read.
 */
bool
diskquota_slot_cancel_requested(uint64 generation)
{
	return MySlot != NULL && generation != 0 &&
		pg_atomic_read_u64(&MySlot->cancel_generation) == generation;
}

/*
 * The target the worker gave for stopping the statement of this generation;
 * false if there is none.  With withdraw, the request is withdrawn, else
 * left in place (for the statement's end).
 */
bool
diskquota_slot_cancel_target(uint64 generation, DiskquotaTarget *target,
							 bool withdraw)
{
	bool		result = false;

	if (MySlot == NULL || generation == 0)
		return false;
	SpinLockAcquire(&MySlot->mutex);
	if (pg_atomic_read_u64(&MySlot->cancel_generation) == generation)
	{
		*target = MySlot->cancel_target;
		if (withdraw)
			pg_atomic_write_u64(&MySlot->cancel_generation, 0);
		result = true;
	}
	SpinLockRelease(&MySlot->mutex);
	return result;
}

/*
 * The schema and role a relation of this transaction is charged to.  An
 * index has the schema and owner of its table; a TOAST relation or TOAST
 * index is charged to the table it is named after (pg_toast_<oid>,
 * pg_toast_<oid>_index).  The schema is InvalidOid for temporary relations.
 */
static void
charged_targets(Relation rel, Oid *nspoid, Oid *owner)
{
	Oid			table;
	HeapTuple	tuple;

	*nspoid = rel->rd_rel->relpersistence == RELPERSISTENCE_TEMP ?
		InvalidOid : rel->rd_rel->relnamespace;
	*owner = rel->rd_rel->relowner;
	if (!IsToastNamespace(rel->rd_rel->relnamespace) ||
		sscanf(RelationGetRelationName(rel), "pg_toast_%u", &table) != 1)
		return;
	*nspoid = InvalidOid;
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(table));
	if (!HeapTupleIsValid(tuple))
		return;
	if (((Form_pg_class) GETSTRUCT(tuple))->relpersistence != RELPERSISTENCE_TEMP)
		*nspoid = ((Form_pg_class) GETSTRUCT(tuple))->relnamespace;
	*owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
}

static void
publish_file(Relation rel)
{
	DiskquotaBackendSlot *slot = my_slot();
	DiskquotaSlotFile file;
	int			i;

	if (slot == NULL || !RELKIND_HAS_STORAGE(rel->rd_rel->relkind) ||
		rel->rd_rel->relisshared)
		return;
	file.rnode = rel->rd_node;
	file.backend = rel->rd_backend;
	charged_targets(rel, &file.nspoid, &file.owner);

	/*
	 * The files are withdrawn at the end of the transaction.  The callback is
	 * registered on first need, and stays (see activetable.c).
	 */
	if (!callback_registered)
	{
		RegisterResourceReleaseCallback(slot_resource_release, NULL);
		callback_registered = true;
	}
	files_published = true;

	/* a file published before gets its current schema and owner */
	SpinLockAcquire(&slot->mutex);
	for (i = 0; i < slot->nfiles; i++)
	{
		if (RelFileNodeEquals(slot->files[i].rnode, file.rnode))
			break;
	}
	if (i < slot->nfiles)
		slot->files[i] = file;
	else if (slot->nfiles < DQ_SLOT_MAX_FILES)
		slot->files[slot->nfiles++] = file;
	else
		slot->files_overflow = true;
	SpinLockRelease(&slot->mutex);
}

/*
 * Publish the files of a relation, of its TOAST relation and of its
 * indexes, each if it was created or given a new relfilenode in this
 * transaction: those files are invisible to the worker until the commit.
 * Publishing a file again updates its schema and owner (SET SCHEMA or
 * OWNER TO in the same transaction).
 */
void
diskquota_slot_publish_new_files(Oid relid)
{
	Relation	rel;

	if (BackendSlots == NULL || !OidIsValid(MyDatabaseId))
		return;
	rel = RelationIdGetRelation(relid);
	if (rel == NULL)
		return;
	if (rel->rd_createSubid != InvalidSubTransactionId ||
		rel->rd_firstRelfilenodeSubid != InvalidSubTransactionId)
		publish_file(rel);
	if (rel->rd_rel->relkind == RELKIND_RELATION ||
		rel->rd_rel->relkind == RELKIND_MATVIEW ||
		rel->rd_rel->relkind == RELKIND_TOASTVALUE)
	{
		List	   *indexes = RelationGetIndexList(rel);
		ListCell   *lc;

		if (OidIsValid(rel->rd_rel->reltoastrelid))
			diskquota_slot_publish_new_files(rel->rd_rel->reltoastrelid);
		foreach(lc, indexes)
			diskquota_slot_publish_new_files(lfirst_oid(lc));
		list_free(indexes);
	}
	RelationClose(rel);
}

/* At transaction end the published files are withdrawn. */
static void
slot_resource_release(ResourceReleasePhase phase, bool isCommit,
					  bool isTopLevel, void *arg)
{
	bool		had_files;

	if (phase != RESOURCE_RELEASE_AFTER_LOCKS || !isTopLevel)
		return;
	if (MySlot == NULL || !files_published)
		return;
	files_published = false;
	SpinLockAcquire(&MySlot->mutex);
	had_files = MySlot->nfiles > 0;
	MySlot->nfiles = 0;
	MySlot->files_overflow = false;
	SpinLockRelease(&MySlot->mutex);

	/* rolled back, the files are gone: let the worker recount at once */
	if (had_files && !isCommit)
		diskquota_wake_worker(MyDatabaseId);
}

/*
 * A transaction that published files is prepared: its files stay
 * uncommitted after this session has withdrawn them from its slot.  Record
 * it, so that the worker looks for them in the catalog (see
 * diskquota_slot_prepared_pending).
 */
static void
slot_xact_callback(XactEvent event, void *arg)
{
	TransactionId xid;

	if (event != XACT_EVENT_PRE_PREPARE || !files_published || SlotsHeader == NULL)
		return;
	xid = GetTopTransactionIdIfAny();
	if (!TransactionIdIsValid(xid))
		return;
	SpinLockAcquire(&SlotsHeader->mutex);
	if (SlotsHeader->nprepared < DQ_MAX_PREPARED_XACTS)
	{
		SlotsHeader->prepared[SlotsHeader->nprepared].dbid = MyDatabaseId;
		SlotsHeader->prepared[SlotsHeader->nprepared].xid = xid;
		SlotsHeader->nprepared++;
	}
	else
		SlotsHeader->overflows++;
	SpinLockRelease(&SlotsHeader->mutex);
}

/*
 * COMMIT PREPARED.  A prepared transaction may have moved relations to
 * another schema or owner (SET SCHEMA, OWNER TO, REASSIGN OWNED): the hooks
 * reported them when the transaction ran, while the move was not committed
 * yet, and nobody would report them again.  So the session that commits it
 * looks up its transaction ID before (by its GID, as pg_prepared_xacts
 * shows it; COMMIT PREPARED runs in the transaction's database) and, once
 * it committed, reports every relation whose pg_class row the transaction
 * wrote (xmin): the worker re-reads their schema and owner at its next
 * refresh.  One scan of pg_class per COMMIT PREPARED.
 */
TransactionId
diskquota_prepared_xid(const char *gid)
{
	TransactionId xid = InvalidTransactionId;
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	int			nestlevel;

	if (gid == NULL)
		return InvalidTransactionId;
	/* a superuser may run it: fixed settings, nothing resolved by the path */
	nestlevel = diskquota_internal_sql_begin();
	if (SPI_connect() != SPI_OK_CONNECT)
	{
		diskquota_internal_sql_end(nestlevel);
		return InvalidTransactionId;
	}
	values[0] = CStringGetTextDatum(gid);
	if (SPI_execute_with_args("SELECT transaction::pg_catalog.text FROM pg_catalog.pg_prepared_xacts"
							  " WHERE gid OPERATOR(pg_catalog.=) $1",
							  1, argtypes, values, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		char	   *xidtext = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		if (xidtext != NULL)
			xid = (TransactionId) strtoul(xidtext, NULL, 10);
	}
	SPI_finish();
	diskquota_internal_sql_end(nestlevel);
	return xid;
}

void
diskquota_prepared_committed(TransactionId xid)
{
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tuple;
	List	   *relids = NIL;
	ListCell   *lc;

	if (!TransactionIdIsNormal(xid))
		return;
	/* a snapshot taken after the commit */
	InvalidateCatalogSnapshot();
	rel = table_open(RelationRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		if (TransactionIdEquals(HeapTupleHeaderGetXmin(tuple->t_data), xid))
			relids = lappend_oid(relids, ((Form_pg_class) GETSTRUCT(tuple))->oid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	foreach(lc, relids)
		diskquota_mark_relation_active_at_end(lfirst_oid(lc), true);
	list_free(relids);
}

/* ----------------------------------------------------------------
 * Worker side
 * ----------------------------------------------------------------
 */

/*
 * Is a prepared transaction that created or rewrote relations of this
 * database still prepared, or may one be (one could not be recorded since
 * the last call)?  Records of transactions that ended, of any database, are
 * removed.  A prepared transaction is in progress for
 * TransactionIdIsInProgress() until COMMIT or ROLLBACK PREPARED.  An
 * unrecorded one is found by the catalog scan this makes the worker do,
 * which then goes on while what it found is in progress.
 */
bool
diskquota_slot_prepared_pending(Oid dbid)
{
	DiskquotaPreparedXact *all;
	TransactionId *ended;
	int			nall;
	int			nended = 0;
	bool		pending = false;
	uint64		overflows;
	int			i;

	all = palloc(sizeof(DiskquotaPreparedXact) * DQ_MAX_PREPARED_XACTS);
	ended = palloc(sizeof(TransactionId) * DQ_MAX_PREPARED_XACTS);
	SpinLockAcquire(&SlotsHeader->mutex);
	overflows = SlotsHeader->overflows;
	nall = SlotsHeader->nprepared;
	memcpy(all, SlotsHeader->prepared, sizeof(DiskquotaPreparedXact) * nall);
	SpinLockRelease(&SlotsHeader->mutex);

	for (i = 0; i < nall; i++)
	{
		if (!TransactionIdIsInProgress(all[i].xid))
			ended[nended++] = all[i].xid;
		else if (all[i].dbid == dbid)
			pending = true;
	}
	if (nended > 0)
	{
		SpinLockAcquire(&SlotsHeader->mutex);
		for (i = 0; i < SlotsHeader->nprepared;)
		{
			int			j;

			for (j = 0; j < nended; j++)
			{
				if (SlotsHeader->prepared[i].xid == ended[j])
					break;
			}
			if (j < nended)
				SlotsHeader->prepared[i] =
					SlotsHeader->prepared[--SlotsHeader->nprepared];
			else
				i++;
		}
		SpinLockRelease(&SlotsHeader->mutex);
	}
	pfree(all);
	pfree(ended);
	if (overflows != seen_overflows)
	{
		seen_overflows = overflows;
		pending = true;
	}
	return pending;
}

/*
 * Collect, over the slots of a database, the relations running statements
 * write (to re-size; with temp_only, only temporary ones) and the files of
 * uncommitted relations (to add).  Returns true if some statement writes.
 */
bool
diskquota_slot_collect(Oid dbid, bool temp_only, List **written, List **files,
					   int *overflow, bool *temp_writes)
{
	bool		writing = false;
	int			i;

	*overflow = 0;
	*temp_writes = false;
	for (i = 0; i < MaxBackends; i++)
	{
		DiskquotaBackendSlot *slot = &BackendSlots[i];
		DiskquotaSlotWrite writes[DQ_MAX_STATEMENT_WRITES];
		DiskquotaSlotFile slotfiles[DQ_SLOT_MAX_FILES];
		int			nwrites = 0;
		int			nfiles = 0;
		int			j;

		/* unlocked peek: a slot of another database is skipped cheaply */
		if (slot->dbid != dbid || slot->pid == 0)
			continue;
		SpinLockAcquire(&slot->mutex);
		if (slot->dbid == dbid && slot->pid != 0)
		{
			if (slot->writing)
			{
				nwrites = slot->nwrites;
				memcpy(writes, slot->writes, sizeof(DiskquotaSlotWrite) * nwrites);
			}
			nfiles = slot->nfiles;
			memcpy(slotfiles, slot->files, sizeof(DiskquotaSlotFile) * nfiles);
			if (slot->files_overflow)
				*overflow |= DQ_SLOT_FILES_OVERFLOW;
			if (slot->writing && slot->writes_overflow)
				*overflow |= DQ_SLOT_WRITES_OVERFLOW;
			if (slot->writing && slot->overflow_temp)
			{
				*overflow |= DQ_SLOT_TEMP_OVERFLOW;
				*temp_writes = true;
			}
			writing |= slot->writing;
		}
		SpinLockRelease(&slot->mutex);

		for (j = 0; j < nwrites; j++)
		{
			if (!OidIsValid(writes[j].relid))
				continue;
			if (writes[j].temp)
				*temp_writes = true;
			if (temp_only && !writes[j].temp)
				continue;
			*written = list_append_unique_oid(*written, writes[j].relid);
		}
		for (j = 0; j < nfiles; j++)
		{
			DiskquotaSlotFile *file = palloc(sizeof(DiskquotaSlotFile));

			*file = slotfiles[j];
			*files = lappend(*files, file);
		}
	}
	return writing;
}

/*
 * Ask every statement of the database that writes into a rejected target
 * to stop.  is_rejected_write tells, for one write entry, which rejected
 * target it writes into.  paused points at the database's pause flag: it is
 * read with each slot's spinlock held, and diskquota.pause() sets it before
 * withdrawing the requests slot by slot under the same spinlocks, so no
 * request is left behind by a pause.
 */
void
diskquota_slot_cancel_writers(Oid dbid,
							  bool (*is_rejected_write) (const DiskquotaSlotWrite *write,
														 DiskquotaTarget *target),
							  bool (*newly_rejected) (uint64 epoch,
													  DiskquotaTarget *target),
							  volatile bool *paused)
{
	int			i;

	for (i = 0; i < MaxBackends; i++)
	{
		DiskquotaBackendSlot *slot = &BackendSlots[i];
		DiskquotaSlotWrite writes[DQ_MAX_STATEMENT_WRITES + DQ_MAX_STATEMENT_TARGETS];
		int			nwrites = 0;
		int			ntargets = 0;
		bool		targets_overflow = false;
		uint64		overflow_epoch = 0;
		uint64		generation;
		int			j;

		if (slot->dbid != dbid || slot->pid == 0 || !slot->writing)
			continue;
		SpinLockAcquire(&slot->mutex);
		generation = slot->generation;
		if (slot->writing && slot->dbid == dbid)
		{
			nwrites = slot->nwrites;
			ntargets = slot->ntargets;
			targets_overflow = slot->targets_overflow;
			overflow_epoch = slot->overflow_epoch;
		}
		memcpy(writes, slot->writes, sizeof(DiskquotaSlotWrite) * nwrites);
		memcpy(writes + nwrites, slot->targets, sizeof(DiskquotaSlotWrite) * ntargets);
		SpinLockRelease(&slot->mutex);

		/*
		 * The relations and targets published, then, if the targets did not
		 * fit either, any target of the database rejected since they
		 * overflowed: one of them may be what the statement writes.
		 */
		for (j = 0; j <= nwrites + ntargets; j++)
		{
			DiskquotaTarget target;

			if (j < nwrites + ntargets ?
				!is_rejected_write(&writes[j], &target) :
				!(targets_overflow && newly_rejected(overflow_epoch, &target)))
				continue;
			SpinLockAcquire(&slot->mutex);
			/* only if the same statement still runs */
			if (slot->generation == generation && slot->writing && !*paused)
			{
				slot->cancel_target = target;
				pg_atomic_write_u64(&slot->cancel_generation, generation);
			}
			SpinLockRelease(&slot->mutex);
			break;
		}
	}
}

/*
 * Withdraw every stop request made to the statements of a database
 * (diskquota.pause()): a request not yet acted upon is never acted upon.
 */
void
diskquota_slot_withdraw_cancels(Oid dbid)
{
	int			i;

	for (i = 0; i < MaxBackends; i++)
	{
		DiskquotaBackendSlot *slot = &BackendSlots[i];

		if (slot->dbid != dbid || pg_atomic_read_u64(&slot->cancel_generation) == 0)
			continue;
		SpinLockAcquire(&slot->mutex);
		if (slot->dbid == dbid)
			pg_atomic_write_u64(&slot->cancel_generation, 0);
		SpinLockRelease(&slot->mutex);
	}
}

/*
 * Replace a write the running statement published (old) by another:
 * CREATE TABLE AS publishes the targets it expects its relation in, then
 * the relation it did create (enforcement.c).  If old is not there (it did
 * not fit), replacement is added as a nested execution's write would be.
 */
void
diskquota_slot_replace_write(const DiskquotaSlotWrite *old,
							 const DiskquotaSlotWrite *replacement)
{
	DiskquotaBackendSlot *slot = my_slot();
	int			i;

	if (slot == NULL)
		return;
	SpinLockAcquire(&slot->mutex);
	if (slot->writing)
	{
		for (i = 0; i < slot->nwrites; i++)
		{
			if (memcmp(&slot->writes[i], old, sizeof(DiskquotaSlotWrite)) == 0)
				break;
		}
		if (i < slot->nwrites)
			slot->writes[i] = *replacement;
		else if (slot->nwrites < DQ_MAX_STATEMENT_WRITES)
			slot->writes[slot->nwrites++] = *replacement;
		else
			slot->writes_overflow = true;
	}
	SpinLockRelease(&slot->mutex);
}

/*
 * Maintenance that grows (enforcement.c): a VACUUM FULL, CLUSTER or REINDEX
 * of a relation with a quota (target: its tightest) may write new files
 * charged to it up to budget bytes: the size of what they replace plus
 * what the target has left.  The statement
 * of this generation publishes it after it began writing (with no writes:
 * it loads nothing); the worker stops it when its new files outgrow it
 * (diskquota_slot_check_maintenance).  A later statement has another
 * generation, so the budget lapses with the statement.  Written by the
 * owning backend with the spinlock held, like the writes.
 */
void
diskquota_slot_set_maintenance(uint64 generation, int64 budget,
							   const DiskquotaTarget *target)
{
	if (MySlot == NULL || generation == 0)
		return;
	SpinLockAcquire(&MySlot->mutex);
	MySlot->maint_generation = generation;
	MySlot->maint_budget = budget;
	MySlot->maint_target = *target;
	SpinLockRelease(&MySlot->mutex);
}

/* Is a new file charged to a target? */
static bool
file_charged_to(const DiskquotaSlotFile *file, const DiskquotaTarget *target)
{
	switch ((DiskquotaQuotaType) target->type)
	{
		case DQ_SCHEMA_QUOTA:
			return file->nspoid == target->oid;
		case DQ_ROLE_QUOTA:
			return file->owner == target->oid;
		case DQ_SCHEMA_TABLESPACE_QUOTA:
			return file->nspoid == target->oid && file->rnode.spcNode == target->spcoid;
		case DQ_ROLE_TABLESPACE_QUOTA:
			return file->owner == target->oid && file->rnode.spcNode == target->spcoid;
		default:
			return true;
	}
}

/*
 * Worker: stop every maintenance statement of the database whose new files
 * charged to its target have outgrown its budget.  file_bytes sizes one
 * file set; it is called without any spinlock held.  The request is made
 * as diskquota_slot_cancel_writers makes it, under the same conditions.
 */
void
diskquota_slot_check_maintenance(Oid dbid,
								 int64 (*file_bytes) (const DiskquotaSlotFile *file),
								 volatile bool *paused)
{
	int			i;

	for (i = 0; i < MaxBackends; i++)
	{
		DiskquotaBackendSlot *slot = &BackendSlots[i];
		DiskquotaSlotFile files[DQ_SLOT_MAX_FILES];
		DiskquotaTarget target;
		uint64		generation;
		int64		budget;
		int64		bytes = 0;
		int			nfiles = 0;
		int			j;

		/* unlocked peek, as in diskquota_slot_cancel_writers */
		if (slot->dbid != dbid || slot->pid == 0 || !slot->writing)
			continue;
		SpinLockAcquire(&slot->mutex);
		generation = slot->generation;
		if (slot->writing && slot->dbid == dbid && slot->maint_generation == generation)
		{
			nfiles = slot->nfiles;
			memcpy(files, slot->files, sizeof(DiskquotaSlotFile) * nfiles);
		}
		budget = slot->maint_budget;
		target = slot->maint_target;
		SpinLockRelease(&slot->mutex);
		if (nfiles == 0)
			continue;

		for (j = 0; j < nfiles; j++)
		{
			if (file_charged_to(&files[j], &target))
				bytes += file_bytes(&files[j]);
		}
		if (bytes <= budget)
			continue;
		SpinLockAcquire(&slot->mutex);
		if (slot->generation == generation && slot->writing && !*paused)
		{
			slot->cancel_target = target;
			pg_atomic_write_u64(&slot->cancel_generation, generation);
		}
		SpinLockRelease(&slot->mutex);
	}
}

/* ----------------------------------------------------------------
 * Steps of the hooks (diskquota.c calls them)
 * ----------------------------------------------------------------
 */

/*
 * The object_access_hook step: a relation created, or one that may have
 * changed schema or owner, is invisible to the worker until commit:
 * publish its files.  Internal alterations (the file swap of a rewrite)
 * are left to the end of the statement, when the relation cache is
 * settled.
 */
void
diskquota_slot_object_access(ObjectAccessType access, Oid classId,
							 Oid objectId, int subId, void *arg)
{
	if (classId != RelationRelationId || subId != 0 || SlotsHeader == NULL)
		return;
	if (access == OAT_POST_CREATE ||
		(access == OAT_POST_ALTER && arg != NULL &&
		 !((ObjectAccessPostAlter *) arg)->is_internal))
		diskquota_slot_publish_new_files(objectId);
}

/*
 * After a utility statement succeeded (diskquota.c calls it at the end of
 * the ProcessUtility chain).  REINDEX, rewrites and TRUNCATE give
 * relations and their indexes new files, some without any catalog hook
 * (index rebuilds): publish them for the worker; the rewrites and TRUNCATE
 * only in a transaction block (otherwise they are committed before the
 * worker looks).
 */
void
diskquota_slot_utility_done(PlannedStmt *pstmt)
{
	Node	   *parsetree = pstmt->utilityStmt;
	List	   *rangevars = NIL;
	ListCell   *lc;

	if (SlotsHeader == NULL)
		return;
	switch (nodeTag(parsetree))
	{
		case T_ReindexStmt:
			if (((ReindexStmt *) parsetree)->relation)
				rangevars = list_make1(((ReindexStmt *) parsetree)->relation);
			break;
		case T_AlterTableStmt:
			if (IsTransactionBlock())
				rangevars = list_make1(((AlterTableStmt *) parsetree)->relation);
			break;
		case T_ClusterStmt:
			if (IsTransactionBlock() && ((ClusterStmt *) parsetree)->relation)
				rangevars = list_make1(((ClusterStmt *) parsetree)->relation);
			break;
		case T_TruncateStmt:
			if (IsTransactionBlock())
				rangevars = ((TruncateStmt *) parsetree)->relations;
			break;
		default:
			return;
	}
	foreach(lc, rangevars)
	{
		Oid			relid = RangeVarGetRelid((RangeVar *) lfirst(lc), NoLock, true);

		if (OidIsValid(relid))
			diskquota_slot_publish_new_files(relid);
	}
}
