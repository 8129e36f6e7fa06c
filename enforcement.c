/*-------------------------------------------------------------------------
 *
 * enforcement.c
 *		Refuse loads into schemas and roles that are at or over their quota,
 *		and the per-backend slots that say what each statement writes.
 *
 * Before a statement runs, the hooks here look up the schema and owner of
 * every relation it may write into in the quota map published by the
 * worker (quotamodel.c) and raise SQLSTATE 53100 (disk_full) if one is
 * rejected:
 *	- ExecutorStart: result relations of INSERT, UPDATE and MERGE (also in
 *	  data-modifying CTEs); for a partitioned table, every partition a row
 *	  could be routed to;
 *	- ProcessUtility: COPY FROM, CREATE TABLE AS, SELECT INTO, CREATE and
 *	  REFRESH MATERIALIZED VIEW, CREATE INDEX, and ALTER TABLE commands that
 *	  build an index or rewrite the table.
 * DELETE, TRUNCATE, DROP, VACUUM and VACUUM FULL are never refused.  When no
 * target is rejected anywhere, the check is one atomic read.
 *
 * Per-backend slots: each backend owns the slot of its BackendId and
 * publishes there its pid, database, a statement generation number and the
 * relations its current writing statement writes, so that the worker can
 * find the statements writing into a target it rejects.
 *
 * Locking: each DiskquotaBackendSlot has a spinlock, mutex, that protects
 * all its fields.  Only the owning backend writes its slot; others read it
 * holding the spinlock.  Nothing else is done while a spinlock is held.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/plannodes.h"
#include "parser/parsetree.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "diskquota.h"

/* Relations of one statement recorded in a slot; more set the overflow flag */
#define DQ_SLOT_MAX_RELATIONS 16

typedef struct DiskquotaBackendSlot
{
	slock_t		mutex;
	int			pid;			/* 0 when unused */
	Oid			dbid;
	uint64		generation;		/* advanced at each writing statement */
	int			nrelids;		/* relations the current statement writes */
	bool		relids_overflow;	/* it writes more than fit in relids */
	Oid			relids[DQ_SLOT_MAX_RELATIONS];
} DiskquotaBackendSlot;

static DiskquotaBackendSlot *BackendSlots = NULL;
static DiskquotaBackendSlot *MySlot = NULL;

static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorEnd_hook_type prev_ExecutorEnd = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

static void dq_ExecutorStart(QueryDesc *queryDesc, int eflags);
static void dq_ExecutorEnd(QueryDesc *queryDesc);
static void dq_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
							  bool readOnlyTree, ProcessUtilityContext context,
							  ParamListInfo params, QueryEnvironment *queryEnv,
							  DestReceiver *dest, QueryCompletion *qc);

Size
diskquota_backend_shmem_size(void)
{
	return mul_size(MaxBackends, sizeof(DiskquotaBackendSlot));
}

/* Called from the shmem startup hook, with AddinShmemInitLock held. */
void
diskquota_backend_shmem_init(void)
{
	bool		found;

	BackendSlots = ShmemInitStruct("diskquota backend slots",
								   diskquota_backend_shmem_size(), &found);
	if (!found)
	{
		int			i;

		memset(BackendSlots, 0, diskquota_backend_shmem_size());
		for (i = 0; i < MaxBackends; i++)
			SpinLockInit(&BackendSlots[i].mutex);
	}
}

void
diskquota_enforcement_install_hooks(void)
{
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = dq_ExecutorStart;
	prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = dq_ExecutorEnd;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = dq_ProcessUtility;
}

/* ----------------------------------------------------------------
 * Per-backend slot
 * ----------------------------------------------------------------
 */

static void
slot_release(int code pg_attribute_unused(), Datum arg pg_attribute_unused())
{
	SpinLockAcquire(&MySlot->mutex);
	MySlot->pid = 0;
	MySlot->dbid = InvalidOid;
	MySlot->nrelids = 0;
	MySlot->relids_overflow = false;
	SpinLockRelease(&MySlot->mutex);
	MySlot = NULL;
}

static DiskquotaBackendSlot *
my_slot(void)
{
	if (MySlot == NULL && BackendSlots != NULL &&
		MyBackendId != InvalidBackendId && MyBackendId <= MaxBackends)
	{
		MySlot = &BackendSlots[MyBackendId - 1];
		SpinLockAcquire(&MySlot->mutex);
		MySlot->pid = MyProcPid;
		MySlot->dbid = MyDatabaseId;
		MySlot->nrelids = 0;
		MySlot->relids_overflow = false;
		SpinLockRelease(&MySlot->mutex);
		on_shmem_exit(slot_release, (Datum) 0);
	}
	return MySlot;
}

/* Publish the relations the statement that starts now writes. */
static void
slot_begin_statement(List *relids)
{
	DiskquotaBackendSlot *slot = my_slot();
	ListCell   *lc;

	if (slot == NULL)
		return;
	SpinLockAcquire(&slot->mutex);
	slot->generation++;
	slot->nrelids = 0;
	slot->relids_overflow = false;
	foreach(lc, relids)
	{
		if (slot->nrelids == DQ_SLOT_MAX_RELATIONS)
		{
			slot->relids_overflow = true;
			break;
		}
		slot->relids[slot->nrelids++] = lfirst_oid(lc);
	}
	SpinLockRelease(&slot->mutex);
}

static void
slot_end_statement(void)
{
	if (MySlot == NULL)
		return;
	SpinLockAcquire(&MySlot->mutex);
	MySlot->generation++;
	MySlot->nrelids = 0;
	MySlot->relids_overflow = false;
	SpinLockRelease(&MySlot->mutex);
}

/* ----------------------------------------------------------------
 * Checks
 * ----------------------------------------------------------------
 */

static void
report_rejected(DiskquotaQuotaType type, Oid targetoid)
{
	if (type == DQ_SCHEMA_QUOTA)
	{
		char	   *name = get_namespace_name(targetoid);

		ereport(ERROR,
				(errcode(ERRCODE_DISK_FULL),
				 errmsg("schema's disk space quota exceeded with name: %s",
						name ? name : "?")));
	}
	else
	{
		char	   *name = GetUserNameFromId(targetoid, true);

		ereport(ERROR,
				(errcode(ERRCODE_DISK_FULL),
				 errmsg("role's disk space quota exceeded with name: %s",
						name ? name : "?")));
	}
}

/* Refuse if the schema (unless temporary) or the role is rejected. */
static void
check_targets(Oid nspoid, Oid owner)
{
	if (OidIsValid(nspoid) && !isAnyTempNamespace(nspoid) &&
		diskquota_is_rejected(MyDatabaseId, DQ_SCHEMA_QUOTA, nspoid))
		report_rejected(DQ_SCHEMA_QUOTA, nspoid);
	if (OidIsValid(owner) &&
		diskquota_is_rejected(MyDatabaseId, DQ_ROLE_QUOTA, owner))
		report_rejected(DQ_ROLE_QUOTA, owner);
}

/*
 * Refuse a write into a relation whose schema or owner is rejected.  For a
 * partitioned table, every partition below it is checked: a row could be
 * routed to any of them.  No lock is taken on the partitions.
 */
static void
check_relation(Oid relid)
{
	HeapTuple	tuple;
	Form_pg_class form;
	bool		partitioned;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		return;
	form = (Form_pg_class) GETSTRUCT(tuple);
	partitioned = form->relkind == RELKIND_PARTITIONED_TABLE;
	check_targets(form->relnamespace, form->relowner);
	ReleaseSysCache(tuple);

	if (partitioned)
	{
		ListCell   *lc;

		foreach(lc, find_all_inheritors(relid, NoLock, NULL))
		{
			if (lfirst_oid(lc) != relid)
				check_relation(lfirst_oid(lc));
		}
	}
}

/*
 * Does a ModifyTable node write new row versions?  DELETE does not, nor a
 * MERGE whose actions all delete or do nothing.
 */
static bool
modify_table_loads(ModifyTable *mt)
{
	ListCell   *lc;

	if (mt->operation == CMD_INSERT || mt->operation == CMD_UPDATE)
		return true;
	if (mt->operation != CMD_MERGE)
		return false;
	foreach(lc, mt->mergeActionLists)
	{
		ListCell   *lc2;

		foreach(lc2, (List *) lfirst(lc))
		{
			MergeAction *action = (MergeAction *) lfirst(lc2);

			if (action->commandType == CMD_INSERT ||
				action->commandType == CMD_UPDATE)
				return true;
		}
	}
	return false;
}

/* Relations a planned statement inserts into or updates. */
static List *
written_relations(PlannedStmt *stmt)
{
	List	   *plans = lcons(stmt->planTree, list_copy(stmt->subplans));
	List	   *relids = NIL;
	ListCell   *lc;

	foreach(lc, plans)
	{
		ModifyTable *mt = (ModifyTable *) lfirst(lc);
		ListCell   *lc2;

		/* a ModifyTable node is always at the top of its plan */
		if (mt == NULL || !IsA(mt, ModifyTable) || !modify_table_loads(mt))
			continue;
		foreach(lc2, mt->resultRelations)
			relids = list_append_unique_oid(relids,
											rt_fetch(lfirst_int(lc2), stmt->rtable)->relid);
		if (mt->rootRelation > 0)
			relids = list_append_unique_oid(relids,
											rt_fetch(mt->rootRelation, stmt->rtable)->relid);
	}
	list_free(plans);
	return relids;
}

static void
dq_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	PlannedStmt *stmt = queryDesc->plannedstmt;

	if (BackendSlots != NULL && stmt->resultRelations != NIL &&
		!(eflags & EXEC_FLAG_EXPLAIN_ONLY))
	{
		List	   *relids = written_relations(stmt);

		if (relids != NIL)
		{
			ListCell   *lc;

			/*
			 * Referential actions (ON DELETE SET NULL, ON UPDATE CASCADE)
			 * run as UPDATEs in the name of the statement that caused them,
			 * which is itself checked; a DELETE must never be refused.
			 */
			if (diskquota_any_rejected() && !InNoForceRLSOperation())
			{
				foreach(lc, relids)
					check_relation(lfirst_oid(lc));
			}
			/* so that the growth is seen even if the statement fails */
			foreach(lc, relids)
				diskquota_mark_relation_active_at_end(lfirst_oid(lc), false);
			slot_begin_statement(relids);
		}
		list_free(relids);
	}

	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

static void
dq_ExecutorEnd(QueryDesc *queryDesc)
{
	if (MySlot != NULL && queryDesc->plannedstmt->resultRelations != NIL)
		slot_end_statement();

	if (prev_ExecutorEnd)
		prev_ExecutorEnd(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
}

/*
 * Does an ALTER TABLE build an index or rewrite the table?  Adding a column
 * is not counted: with a constant default it rewrites nothing.
 */
static bool
alter_table_loads(AlterTableStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		switch (cmd->subtype)
		{
			case AT_AddIndex:
			case AT_AddIndexConstraint:
			case AT_AlterColumnType:
			case AT_SetLogged:
			case AT_SetUnLogged:
			case AT_SetAccessMethod:
				return true;
			case AT_AddConstraint:
				{
					Constraint *con = (Constraint *) cmd->def;

					if (IsA(con, Constraint) &&
						(con->contype == CONSTR_PRIMARY ||
						 con->contype == CONSTR_UNIQUE ||
						 con->contype == CONSTR_EXCLUSION))
						return true;
					break;
				}
			default:
				break;
		}
	}
	return false;
}

/*
 * The relation a utility statement loads data into, or InvalidOid.
 * For CREATE TABLE AS and friends, which create it, *nspoid and *owner are
 * set instead.
 */
static Oid
utility_target(Node *parsetree, Oid *nspoid, Oid *owner)
{
	*nspoid = InvalidOid;
	*owner = InvalidOid;

	switch (nodeTag(parsetree))
	{
		case T_CopyStmt:
			{
				CopyStmt   *stmt = (CopyStmt *) parsetree;

				if (stmt->is_from && stmt->relation)
					return RangeVarGetRelid(stmt->relation, NoLock, true);
				break;
			}
		case T_RefreshMatViewStmt:
			return RangeVarGetRelid(((RefreshMatViewStmt *) parsetree)->relation,
									NoLock, true);
		case T_IndexStmt:
			return RangeVarGetRelid(((IndexStmt *) parsetree)->relation,
									NoLock, true);
		case T_AlterTableStmt:
			{
				AlterTableStmt *stmt = (AlterTableStmt *) parsetree;

				if (stmt->objtype == OBJECT_TABLE &&
					alter_table_loads(stmt))
					return RangeVarGetRelid(stmt->relation, NoLock, true);
				break;
			}
		case T_CreateTableAsStmt:
			{
				CreateTableAsStmt *stmt = (CreateTableAsStmt *) parsetree;
				RangeVar   *rel = stmt->into->rel;

				if (stmt->into->skipData)
					break;
				*owner = GetUserId();
				if (rel->relpersistence == RELPERSISTENCE_TEMP ||
					(rel->schemaname && strcmp(rel->schemaname, "pg_temp") == 0))
					break;
				if (rel->schemaname)
					*nspoid = get_namespace_oid(rel->schemaname, true);
				else
					*nspoid = RangeVarGetCreationNamespace(rel);
				break;
			}
		default:
			break;
	}
	return InvalidOid;
}

static void
dq_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
				  bool readOnlyTree, ProcessUtilityContext context,
				  ParamListInfo params, QueryEnvironment *queryEnv,
				  DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	volatile bool writes = false;

	if (BackendSlots != NULL)
	{
		Oid			nspoid;
		Oid			owner;
		Oid			relid = utility_target(parsetree, &nspoid, &owner);

		writes = OidIsValid(relid) || OidIsValid(owner);
		if (writes && diskquota_any_rejected())
		{
			if (OidIsValid(relid))
				check_relation(relid);
			else
				check_targets(nspoid, owner);
		}
		if (writes)
			slot_begin_statement(OidIsValid(relid) ? list_make1_oid(relid) : NIL);
	}

	PG_TRY();
	{
		if (prev_ProcessUtility)
			prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
									params, queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		if (writes)
			slot_end_statement();
	}
	PG_END_TRY();
}
