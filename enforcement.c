/*-------------------------------------------------------------------------
 *
 * enforcement.c
 *		Refuse loads into schemas and roles that are at or over their quota,
 *		before a statement runs and while it runs.
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
 * While a statement that writes runs (ExecutorRun and ExecutorFinish, and
 * ProcessUtility for the statements above), what it writes is published in the backend's slot
 * (backendslot.c) and a timeout polls the slot every
 * diskquota.load_check_interval.  When the worker has asked to stop the
 * statement, the timeout interrupts it as a query cancel would, and the
 * PG_CATCH around the execution turns that cancel into the quota error.
 * Only the cancel this backend raised for the statement that runs is
 * turned; any other error, a user's cancel or statement_timeout included,
 * passes unchanged.  Executions nest (triggers, functions): the outermost
 * writing one is the statement, the nested ones add what they write.
 *
 * This file owns no shared state.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/plannodes.h"
#include "parser/parsetree.h"
#include "storage/proc.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "diskquota.h"

static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorRun_hook_type prev_ExecutorRun = NULL;
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/*
 * What the last ExecutorStart found that its query writes, so that
 * ExecutorRun and ExecutorFinish of the same query need not look again.
 * Keyed by the QueryDesc and its PlannedStmt; a nested query's
 * ExecutorStart replaces it, and the outer query then looks again.
 */
typedef struct StartedQuery
{
	QueryDesc  *queryDesc;
	PlannedStmt *plannedstmt;
	int			nwrites;
	bool		finish_writes;
	DiskquotaSlotWrite writes[DQ_MAX_STATEMENT_WRITES];
} StartedQuery;

static StartedQuery started;

/* Is the library preloaded (shared memory there)? */
#define diskquota_enforcing (DiskquotaShared != NULL)

static void dq_ExecutorStart(QueryDesc *queryDesc, int eflags);
static void dq_ExecutorRun(QueryDesc *queryDesc, ScanDirection direction,
						   uint64 count, bool execute_once);
static void dq_ExecutorFinish(QueryDesc *queryDesc);
static int	statement_writes(QueryDesc *queryDesc, List *relids,
							 DiskquotaSlotWrite *writes, bool *finish_writes);
static void enforcement_xact_callback(XactEvent event, void *arg);
static void dq_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
							  bool readOnlyTree, ProcessUtilityContext context,
							  ParamListInfo params, QueryEnvironment *queryEnv,
							  DestReceiver *dest, QueryCompletion *qc);

void
diskquota_enforcement_install_hooks(void)
{
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = dq_ExecutorStart;
	prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = dq_ExecutorRun;
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = dq_ExecutorFinish;
	RegisterXactCallback(enforcement_xact_callback, NULL);
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = dq_ProcessUtility;
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

/*
 * What a statement writes, for the slot: each relation with the schema
 * (InvalidOid if temporary) and role it is charged to.  A partitioned table
 * is recorded with neither: the worker looks at its partitions.  Relations
 * created or given a new relfilenode in this transaction have their files
 * published, since the worker cannot see them in the catalog.
 */
static int
describe_writes(List *relids, DiskquotaSlotWrite *writes, int max,
				bool *has_triggers)
{
	ListCell   *lc;
	int			n = 0;

	*has_triggers = false;
	foreach(lc, relids)
	{
		Oid			relid = lfirst_oid(lc);
		Relation	rel;

		if (n == max)
			break;
		rel = RelationIdGetRelation(relid);
		if (rel == NULL)
			continue;
		writes[n].relid = relid;
		if (rel->trigdesc != NULL)
			*has_triggers = true;
		if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
		{
			writes[n].nspoid = InvalidOid;
			writes[n].owner = InvalidOid;
		}
		else
		{
			writes[n].nspoid = rel->rd_rel->relpersistence == RELPERSISTENCE_TEMP ?
				InvalidOid : rel->rd_rel->relnamespace;
			writes[n].owner = rel->rd_rel->relowner;
			/* e.g. truncated earlier in this transaction */
			if (rel->rd_createSubid != InvalidSubTransactionId ||
				rel->rd_firstRelfilenodeSubid != InvalidSubTransactionId)
				diskquota_slot_publish_new_files(relid);
		}
		RelationClose(rel);
		n++;
	}
	return n;
}

static void
dq_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	PlannedStmt *stmt = queryDesc->plannedstmt;

	if (diskquota_enforcing && stmt->resultRelations != NIL &&
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
		}
		/* for ExecutorRun and ExecutorFinish of this query */
		started.queryDesc = queryDesc;
		started.plannedstmt = stmt;
		started.nwrites = statement_writes(queryDesc, relids, started.writes,
										   &started.finish_writes);
		list_free(relids);
	}

	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/* ----------------------------------------------------------------
 * Stopping a running statement
 * ----------------------------------------------------------------
 */

/* Nesting of writing executions; the outermost one is "the statement". */
static int	write_depth = 0;
/* Generation of the outermost one, as published in the slot */
static uint64 write_generation = 0;
/* Set by the timeout handler when it interrupted the statement */
static volatile sig_atomic_t cancel_sent = false;
/* Set by the timeout handler when it woke the worker for this statement */
static volatile sig_atomic_t worker_woken = false;
static TimeoutId cancel_check_timeout = MAX_TIMEOUTS;

/*
 * Every diskquota.load_check_interval while a writing statement runs: if
 * the worker asked to stop this statement, interrupt it the way a query
 * cancel does.  This runs in a signal handler: an atomic read and flags.
 */
static void
cancel_check_handler(void)
{
	/*
	 * The statement has run for an interval: make sure the worker knows,
	 * since it only refreshes often while statements write.
	 */
	if (!worker_woken)
	{
		worker_woken = true;
		diskquota_wake_worker_from_handler();
	}
	/* never take over a cancel already pending (a user's, a timeout's) */
	if (!cancel_sent && !QueryCancelPending &&
		diskquota_slot_cancel_requested(write_generation))
	{
		cancel_sent = true;
		QueryCancelPending = true;
		InterruptPending = true;
		SetLatch(MyLatch);
	}
}

static void
begin_write(const DiskquotaSlotWrite *writes, int n)
{
	if (write_depth++ > 0)
	{
		(void) diskquota_slot_begin_write(false, writes, n);
		return;
	}
	cancel_sent = false;
	worker_woken = false;
	write_generation = diskquota_slot_begin_write(true, writes, n);
	if (write_generation != 0 && diskquota_load_check_interval > 0)
	{
		diskquota_prepare_wake_from_handler();
		if (cancel_check_timeout == MAX_TIMEOUTS)
			cancel_check_timeout = RegisterTimeout(USER_TIMEOUT, cancel_check_handler);
		enable_timeout_every(cancel_check_timeout,
							 TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														 diskquota_load_check_interval),
							 diskquota_load_check_interval);
	}
}

/* Leave a writing execution; true when the outermost one ends. */
static bool
end_write(void)
{
	if (--write_depth > 0)
		return false;
	if (cancel_check_timeout != MAX_TIMEOUTS)
		disable_timeout(cancel_check_timeout, false);
	diskquota_slot_end_write();
	return true;
}

/*
 * A writing execution failed.  If the error is the cancel we caused because
 * the worker asked to stop the statement, raise the quota error instead;
 * otherwise re-throw it.  Called in PG_CATCH.
 */
pg_attribute_noreturn()
static void
end_write_error(MemoryContext oldcontext, uint64 generation)
{
	ErrorData  *edata;
	DiskquotaQuotaType type;
	Oid			oid;
	bool		outermost;

	/* first of all: disarm the timeout, so that nothing more is raised */
	outermost = end_write();
	MemoryContextSwitchTo(oldcontext);
	if (!outermost || !cancel_sent)
		PG_RE_THROW();

	/*
	 * Only the outermost execution decides, so that the quota error cannot
	 * be swallowed by an exception block of a trigger or function that the
	 * statement runs: below it, our cancel passes through as a cancel.
	 */
	cancel_sent = false;
	edata = CopyErrorData();
	if (diskquota_slot_take_cancel(generation, &type, &oid))
	{
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		{
			FlushErrorState();
			FreeErrorData(edata);
			report_rejected(type, oid);
		}
		/* another error came first: our cancel must not survive it */
		QueryCancelPending = false;
	}
	FreeErrorData(edata);
	PG_RE_THROW();
}

/*
 * A writing execution completed.  If we interrupted the statement but the
 * interrupt was not processed yet, the statement did write into a rejected
 * target: fail it with the quota error now rather than let the cancel hit
 * whatever runs next.
 */
static void
end_write_ok(uint64 generation)
{
	DiskquotaQuotaType type;
	Oid			oid;

	if (!end_write() || !cancel_sent)
		return;
	cancel_sent = false;
	if (diskquota_slot_take_cancel(generation, &type, &oid) && QueryCancelPending)
	{
		QueryCancelPending = false;
		report_rejected(type, oid);
	}
}

/* The next ExecutorRun in the chain */
static void
next_ExecutorRun(QueryDesc *queryDesc, ScanDirection direction, uint64 count,
				 bool execute_once)
{
	if (prev_ExecutorRun)
		prev_ExecutorRun(queryDesc, direction, count, execute_once);
	else
		standard_ExecutorRun(queryDesc, direction, count, execute_once);
}

/*
 * What a planned statement writes, described for the slot; 0 if nothing.
 * *finish_writes tells whether ExecutorFinish may write too: data-modifying
 * CTEs the query did not read to the end, AFTER triggers.
 */
static int
statement_writes(QueryDesc *queryDesc, List *relids, DiskquotaSlotWrite *writes,
				 bool *finish_writes)
{
	bool		has_triggers;
	int			n;

	*finish_writes = false;
	if (relids == NIL || InNoForceRLSOperation())
		return 0;
	n = describe_writes(relids, writes, DQ_MAX_STATEMENT_WRITES, &has_triggers);
	*finish_writes = has_triggers || queryDesc->plannedstmt->hasModifyingCTE;
	return n;
}

/*
 * What the statement of queryDesc writes: as ExecutorStart found it, or
 * anew (ExecutorStart of a nested query came in between, as with cursors).
 */
static int
query_writes(QueryDesc *queryDesc, DiskquotaSlotWrite *writes, bool *finish_writes)
{
	List	   *relids;
	int			n;

	*finish_writes = false;
	if (!diskquota_enforcing || queryDesc->plannedstmt->resultRelations == NIL)
		return 0;
	if (started.queryDesc == queryDesc &&
		started.plannedstmt == queryDesc->plannedstmt)
	{
		memcpy(writes, started.writes, sizeof(DiskquotaSlotWrite) * started.nwrites);
		*finish_writes = started.finish_writes;
		return started.nwrites;
	}
	relids = written_relations(queryDesc->plannedstmt);
	n = statement_writes(queryDesc, relids, writes, finish_writes);
	list_free(relids);
	return n;
}

static void
dq_ExecutorRun(QueryDesc *queryDesc, ScanDirection direction, uint64 count,
			   bool execute_once)
{
	DiskquotaSlotWrite writes[DQ_MAX_STATEMENT_WRITES];
	bool		finish_writes;
	int			nwrites = query_writes(queryDesc, writes, &finish_writes);
	uint64		generation;
	MemoryContext oldcontext = CurrentMemoryContext;

	if (nwrites == 0)
	{
		next_ExecutorRun(queryDesc, direction, count, execute_once);
		return;
	}

	begin_write(writes, nwrites);
	generation = write_generation;
	PG_TRY();
	{
		next_ExecutorRun(queryDesc, direction, count, execute_once);
	}
	PG_CATCH();
	{
		end_write_error(oldcontext, generation);
	}
	PG_END_TRY();
	end_write_ok(generation);
}

/*
 * ExecutorFinish writes too: data-modifying CTEs that the query did not
 * read to the end, AFTER triggers.
 */
static void
dq_ExecutorFinish(QueryDesc *queryDesc)
{
	DiskquotaSlotWrite writes[DQ_MAX_STATEMENT_WRITES];
	bool		finish_writes;
	int			nwrites = query_writes(queryDesc, writes, &finish_writes);
	uint64		generation;
	MemoryContext oldcontext = CurrentMemoryContext;

	if (nwrites == 0 || !finish_writes)
	{
		if (prev_ExecutorFinish)
			prev_ExecutorFinish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
		return;
	}

	begin_write(writes, nwrites);
	generation = write_generation;
	PG_TRY();
	{
		if (prev_ExecutorFinish)
			prev_ExecutorFinish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_CATCH();
	{
		end_write_error(oldcontext, generation);
	}
	PG_END_TRY();
	end_write_ok(generation);
}

/*
 * Safety net: whatever happened in between, a transaction that aborts at
 * top level leaves no writing execution behind.
 */
static void
enforcement_xact_callback(XactEvent event, void *arg pg_attribute_unused())
{
	if (event != XACT_EVENT_ABORT || write_depth == 0)
		return;
	write_depth = 1;
	(void) end_write();
	cancel_sent = false;
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

/* The next ProcessUtility in the chain */
static void
next_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
					bool readOnlyTree, ProcessUtilityContext context,
					ParamListInfo params, QueryEnvironment *queryEnv,
					DestReceiver *dest, QueryCompletion *qc)
{
	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
							params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

static void
dq_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
				  bool readOnlyTree, ProcessUtilityContext context,
				  ParamListInfo params, QueryEnvironment *queryEnv,
				  DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	DiskquotaSlotWrite write;
	int			nwrites = 0;
	uint64		generation;
	MemoryContext oldcontext = CurrentMemoryContext;

	if (diskquota_enforcing)
	{
		Oid			nspoid;
		Oid			owner;
		Oid			relid = utility_target(parsetree, &nspoid, &owner);

		if (OidIsValid(relid))
		{
			bool		has_triggers;

			if (diskquota_any_rejected())
				check_relation(relid);
			nwrites = describe_writes(list_make1_oid(relid), &write, 1, &has_triggers);
		}
		else if (OidIsValid(owner))
		{
			/* CREATE TABLE AS and friends: the relation does not exist yet */
			if (diskquota_any_rejected())
				check_targets(nspoid, owner);
			write.relid = InvalidOid;
			write.nspoid = nspoid;
			write.owner = owner;
			nwrites = 1;
		}
	}
	if (nwrites == 0)
	{
		next_ProcessUtility(pstmt, queryString, readOnlyTree, context,
							params, queryEnv, dest, qc);
		return;
	}

	begin_write(&write, 1);
	generation = write_generation;
	PG_TRY();
	{
		next_ProcessUtility(pstmt, queryString, readOnlyTree, context,
							params, queryEnv, dest, qc);
	}
	PG_CATCH();
	{
		end_write_error(oldcontext, generation);
	}
	PG_END_TRY();
	end_write_ok(generation);
}
