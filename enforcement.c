/*-------------------------------------------------------------------------
 *
 * enforcement.c
 *		Refuse loads into schemas and roles that are at or over their quota,
 *		before a statement runs and while it runs.
 *
 * The hooks' steps are here; diskquota.c installs the hooks and calls them
 * (the order of the steps of all modules: section "Hooks" there).
 * Before a statement runs, the steps here look up the targets of every
 * relation it may write into (its schema and owner, both in the tablespace
 * of its files and of its indexes, and the database) in the quota map
 * published by the worker (quotamap.c) and raise the quota error,
 * SQLSTATE 53100 (disk_full: refusal.c), if one is rejected, or its
 * headroom was used up by running statements since (charged_full), unless
 * diskquota is paused there (while the database is stale, every target
 * with a quota counts as rejected, and the error says that diskquota
 * cannot enforce quotas there: report_stale, refusal.c):
 *	- ExecutorStart: result relations of INSERT, UPDATE and MERGE (also in
 *	  data-modifying CTEs); for a partitioned table, every partition a row
 *	  could be routed to;
 *	- ProcessUtility: COPY FROM, CREATE TABLE AS, SELECT INTO, CREATE and
 *	  REFRESH MATERIALIZED VIEW (also under EXPLAIN ANALYZE, decided as
 *	  EXPLAIN decides), CREATE INDEX, every ALTER TABLE subcommand not known
 *	  to write no data (an allowlist; ATTACH PARTITION is charged to the
 *	  table attached), also against the inheritance children it recurses
 *	  to, the tables of a type ALTER TYPE ... CASCADE rewrites, the
 *	  partitions CREATE INDEX builds on and the tablespace of the indexes
 *	  they build (check_utility_extra);
 *	- the object access hook (called from activetable.c): the relation a
 *	  CREATE TABLE AS and friends does create, which a function run by the
 *	  planner may have moved to another schema or tablespace;
 *	- moves of existing data: SET SCHEMA, OWNER TO or REASSIGN OWNED by
 *	  someone who is not a superuser, and ALTER ... SET TABLESPACE (also
 *	  ALL IN TABLESPACE; against the quotas in the tablespace it moves to
 *	  only), when the target's quota is reached or what moves would exceed
 *	  it, counting what this backend moved there before (moved_bytes);
 *	- over a database quota, every utility statement that may add to the
 *	  catalogs (an allowlist of those that do not, write only shared
 *	  catalogs, or only drop or free; ANALYZE is not on it);
 *	- VACUUM FULL, CLUSTER and REINDEX are allowed, but a relation they
 *	  process may not come out of them larger than its old size plus what
 *	  its tightest target had left: the statement is stopped when its new
 *	  files outgrow that, and the transaction fails before it commits if
 *	  the relation did (REINDEX CONCURRENTLY is refused on a rejected
 *	  target).
 * A utility statement that loads into a relation it names resolves the name
 * here as the command does, with its lock, and is then given the qualified
 * name, so the relation checked is the one the command loads into.
 * Writes diskquota makes itself (the worker; quota_config and pause_state
 * changes by the SQL functions) are never refused, nor the UPDATE that an
 * ON DELETE (or ON UPDATE) SET NULL referential action runs in the name of
 * the statement that caused it, when it sets only NULLs and no user code
 * decides what it writes.  Only the statement the action starts itself is
 * exempt: everything planned or started while a statement of a referential
 * action is planned or runs (triggers, functions, cached function calls,
 * what its rules add) is checked, as are the actions that write a key (ON
 * UPDATE CASCADE, SET DEFAULT); see "Referential actions", which counts the
 * planner and executor calls under the action's security flag, and keeps
 * the function manager hooks as an additional guard.
 * DELETE, TRUNCATE, DROP and VACUUM (without ANALYZE, which is refused over
 * a database quota only) are never refused.  When no target is
 * rejected anywhere, the check is one atomic read.  COMMIT PREPARED reports
 * the relations the prepared transaction moved (backendslot.c).
 *
 * Statements refused for privileges: some utility statements are checked
 * before PostgreSQL checks the privileges they need (COPY FROM, CREATE
 * TABLE AS and friends, SET SCHEMA, OWNER TO, REASSIGN OWNED, REINDEX
 * SCHEMA or DATABASE CONCURRENTLY).  A statement whose user lacks them is
 * not checked: PostgreSQL refuses it next with its own error, before it
 * writes anything.  Else a role with no right on another tenant's schema
 * or role would learn from the quota error whether it is over its quota
 * and by how much, and would count as that tenant's refusals
 * (write_denied).  The test is PostgreSQL's (a superuser passes it).
 *
 * ExecutorStart checks once the executor has opened the result relations
 * (nothing is written before ExecutorRun), and describes the statement's
 * writes from them, without catalog lookups.
 *
 * While a statement that writes runs (ExecutorRun and ExecutorFinish, and
 * ProcessUtility for the loads above), what it writes is published in
 * the backend's slot (backendslot.c) and a timeout polls the slot every
 * diskquota.load_check_interval (see cancel_check_handler for how the
 * timeout is armed).  When the worker has asked to stop the
 * statement, the timeout interrupts it as a query cancel would, and the
 * PG_CATCH around the execution turns that cancel into the quota error.
 * Only the cancel this backend raised for the statement that runs is
 * turned; any other error, a user's cancel or statement_timeout included,
 * passes unchanged.  Executions nest (triggers, functions): the outermost
 * writing one is the statement, the nested ones add what they write.
 * A requested stop is never lost: the interrupt is sent again at every
 * poll while the request stands (an exception block may have swallowed
 * it), a writing execution nested in the statement is refused from then
 * on, and a statement whose slot holds a request for it when it ends
 * fails with the quota error then (unless it ran for less than two check
 * intervals: such a statement is never stopped).  A query lists up to
 * DQ_MAX_QUERY_WRITES relations; what does not fit in the slot is still
 * stopped (backendslot.c).  With diskquota.self_charge, an INSERT, UPDATE
 * or MERGE, a COPY FROM, and a CREATE TABLE AS, SELECT INTO, CREATE or
 * REFRESH MATERIALIZED VIEW, does not wait for the worker: it measures its
 * own growth and stops itself when a target's headroom is used up
 * (selfcharge.c, "Charging the statement's own growth"): the steps here
 * call it when a writing execution begins, joins, ends or fails, and
 * around the utility statements that charge themselves; it calls nothing
 * here.
 *
 * This file owns no shared state.  Its backend-local state (the statement
 * that runs, the maintained relations, the moves of the open transaction)
 * is reset when the transaction ends, by its transaction callbacks; the
 * moves a transaction committed stay counted until the worker has seen
 * them (moved_bytes).
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		enforcement.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/tableam.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "commands/dbcommands.h"
#include "commands/tablecmds.h"
#include "commands/tablespace.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_type.h"
#include "nodes/plannodes.h"
#include "optimizer/planner.h"
#include "parser/parsetree.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "diskquota_common.h"
#include "settings.h"
#include "relfile.h"
#include "ownobjects.h"
#include "registry.h"
#include "activetable.h"
#include "quotamap.h"
#include "backendslot.h"
#include "refusal.h"
#include "selfcharge.h"
#include "enforcement.h"

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
	int			overflow;		/* DQ_SLOT_*_OVERFLOW: writes left out */
	DiskquotaSlotWrite writes[DQ_MAX_QUERY_WRITES];
} StartedQuery;

static StartedQuery started;

/*
 * Set by add_write when a relation does not fit in the array it fills:
 * DQ_SLOT_WRITES_OVERFLOW, with DQ_SLOT_TEMP_OVERFLOW if it is temporary.
 * Reset by statement_writes.
 */
static int	writes_left_out = 0;

/*
 * Writes diskquota makes itself are never refused or stopped: those of the
 * worker (exempt_process), and quota_config and pause_state changes made by
 * the SQL functions (diskquota_execute_internal: ownobjects.c), so that a
 * DBA can always raise a quota, even one on the database or on the
 * superuser's role.
 */
static bool exempt_process = false;

/* This transaction dropped the extension (diskquota_enforcement_ProcessUtility) */
static bool clear_quotas_at_commit = false;
static int	clear_quotas_level = 0; /* transaction nesting level of it */

/* pause() or resume() ran in this transaction (diskquota_set_paused_at_commit) */
static int	pending_pause = -1; /* 1: pause(), 0: resume(), -1: neither */
static int	pending_pause_level = 0;	/* transaction nesting level of it */

/* Is the extension script that runs now diskquota's? */
static bool
own_extension_script(void)
{
	return CurrentExtensionObject ==
		get_extension_oid(DISKQUOTA_EXTENSION_NAME, true);
}

/*
 * Is the library preloaded (shared memory there), and this write checked?
 * Not in the worker, not for the SQL functions' own changes, and not for
 * the statements of diskquota's own CREATE/ALTER EXTENSION script.
 */
#define diskquota_enforcing \
	(DiskquotaShared != NULL && !exempt_process && diskquota_internal_sql_depth == 0 && \
	 !(creating_extension && own_extension_script()))

static void enforcement_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
										 SubTransactionId parentSubid, void *arg);
static int	statement_writes(QueryDesc *queryDesc, DiskquotaSlotWrite *writes,
							 bool *finish_writes, int *overflow);
static void enforcement_xact_callback(XactEvent event, void *arg);
static bool option_set(List *options, const char *name);
static void maintenance_xact_callback(XactEvent event, void *arg);
static void refuse_after_stop_request(void);

/* This process (the worker) writes only diskquota's own tables. */
void
diskquota_enforcement_exempt_process(void)
{
	exempt_process = true;
}

/* Called once from _PG_init; the hooks are installed there too. */
void
diskquota_enforcement_register_xact_callbacks(void)
{
	RegisterXactCallback(enforcement_xact_callback, NULL);
	RegisterSubXactCallback(enforcement_subxact_callback, NULL);
}

/* ----------------------------------------------------------------
 * Checks
 * ----------------------------------------------------------------
 */

/*
 * Are there checks to make before a write starts: is a target rejected, or
 * one in its grace period?  Lock-free; a statement pays only this when
 * neither is so.
 */
static inline bool
checks_due(void)
{
	return diskquota_any_rejected() || diskquota_any_in_grace();
}

/* When this session last told of a target in grace (notice_grace) */
typedef struct GraceNotice
{
	DiskquotaTarget target;
	TimestampTz told_at;
} GraceNotice;

static HTAB *grace_notices = NULL;

/*
 * A write into a target over its soft limit, in its grace period: tell the
 * writer, at most once per session and target per diskquota.naptime.
 */
static void
notice_grace(Oid nspoid, Oid owner, Oid spcoid)
{
	DiskquotaQuotaInfo info;
	GraceNotice *told;
	TimestampTz now;
	bool		found;

	if (!diskquota_grace_target(MyDatabaseId, nspoid, owner, spcoid, &info))
		return;
	if (grace_notices == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(DiskquotaTarget);
		ctl.entrysize = sizeof(GraceNotice);
		grace_notices = hash_create("diskquota grace notices", 16, &ctl,
									HASH_ELEM | HASH_BLOBS);
	}
	now = GetCurrentTimestamp();
	told = hash_search(grace_notices, &info.target, HASH_ENTER, &found);
	if (found && now - told->told_at < (int64) diskquota_naptime * USECS_PER_SEC)
		return;
	told->told_at = now;
	ereport(NOTICE,
			(errmsg("%s \"%s\" is over its soft disk space limit",
					info.target.type == DQ_DATABASE_QUOTA ? "database" :
					info.target.type == DQ_SCHEMA_QUOTA ||
					info.target.type == DQ_SCHEMA_TABLESPACE_QUOTA ? "schema" : "role",
					diskquota_refusal_target_name(&info.target)),
			 OidIsValid(info.target.spcoid) ?
			 errdetail("Usage in tablespace \"%s\" is %s of a soft limit of %s; its loads will be refused from %s unless usage falls to or below the soft limit.",
					   diskquota_refusal_tablespace_name(info.target.spcoid),
					   diskquota_refusal_size_pretty(info.used_bytes),
					   diskquota_refusal_size_pretty(info.policy.soft_bytes),
					   timestamptz_to_str(info.policy.grace_expires_at)) :
			 errdetail("Usage is %s of a soft limit of %s; its loads will be refused from %s unless usage falls to or below the soft limit.",
					   diskquota_refusal_size_pretty(info.used_bytes),
					   diskquota_refusal_size_pretty(info.policy.soft_bytes),
					   timestamptz_to_str(info.policy.grace_expires_at)),
			 errhint("See view diskquota.quotas.")));
}

/*
 * Refuse if a target that a write into these files is charged to is
 * rejected: the schema (unless temporary), the role, either of them in the
 * tablespace, the database.  Nothing is refused while diskquota is paused
 * in the database.  Tell of a target in its grace period.
 */
static void
check_targets(Oid nspoid, Oid owner, Oid spcoid)
{
	DiskquotaTarget target;

	if (OidIsValid(nspoid) && isAnyTempNamespace(nspoid))
		nspoid = InvalidOid;
	if (diskquota_refused_target(MyDatabaseId, nspoid, owner, spcoid, false, &target) &&
		!diskquota_paused())
		diskquota_report_rejected(&target, DQ_REFUSAL_DENIED);
	if (diskquota_any_in_grace() && !diskquota_paused())
		notice_grace(nspoid, owner, spcoid);
}

/*
 * Indexes are charged to the schema and owner of their table, in the
 * tablespace where they are: refuse a write into a table with an index in
 * a tablespace where that schema or owner is rejected.  The index list
 * comes from the relation cache when the relation is at hand (rel), else
 * from pg_index; no user relation is locked.
 */
static void
check_index_tablespaces(Oid relid, Relation rel, Oid nspoid, Oid owner, Oid spcoid)
{
	List	   *indexes;
	ListCell   *lc;

	if (rel != NULL)
		indexes = RelationGetIndexList(rel);
	else
	{
		Relation	pg_index = table_open(IndexRelationId, AccessShareLock);
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple	tuple;

		indexes = NIL;
		ScanKeyInit(&key, Anum_pg_index_indrelid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(relid));
		scan = systable_beginscan(pg_index, IndexIndrelidIndexId, true, NULL, 1, &key);
		while (HeapTupleIsValid(tuple = systable_getnext(scan)))
			indexes = lappend_oid(indexes, ((Form_pg_index) GETSTRUCT(tuple))->indexrelid);
		systable_endscan(scan);
		table_close(pg_index, AccessShareLock);
	}
	foreach(lc, indexes)
	{
		Oid			index_spc = diskquota_relation_tablespace(get_rel_tablespace(lfirst_oid(lc)));

		if (index_spc != spcoid)
			check_targets(nspoid, owner, index_spc);
	}
	list_free(indexes);
}

/*
 * Refuse a write into a relation (rel: its relation cache entry if at
 * hand) whose schema or owner is rejected, as a whole, in the tablespace of
 * the relation or of one of its indexes, or whose database is.  For a
 * partitioned table, every partition below it is checked: a row could be
 * routed to any of them.  No lock is taken on the partitions.
 */
static void
check_relation(Oid relid, Relation rel)
{
	HeapTuple	tuple;
	Form_pg_class form;
	Oid			nspoid;
	Oid			owner;
	Oid			spcoid;
	bool		partitioned;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		return;
	form = (Form_pg_class) GETSTRUCT(tuple);
	partitioned = form->relkind == RELKIND_PARTITIONED_TABLE;
	nspoid = form->relnamespace;
	owner = form->relowner;
	/* a partitioned table has no files: its partitions' tablespaces count */
	spcoid = partitioned ? InvalidOid : diskquota_relation_tablespace(form->reltablespace);
	ReleaseSysCache(tuple);
	check_targets(nspoid, owner, spcoid);

	if (partitioned)
	{
		ListCell   *lc;

		foreach(lc, find_all_inheritors(relid, NoLock, NULL))
		{
			if (lfirst_oid(lc) != relid)
				check_relation(lfirst_oid(lc), NULL);
		}
	}
	else if (diskquota_any_rejected())
		check_index_tablespaces(relid, rel, nspoid, owner, spcoid);
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

/*
 * Add a relation a statement writes into to writes[] (n entries so far),
 * with the schema (InvalidOid if temporary) and role it is charged to; a
 * partitioned table with neither: the worker looks at its partitions.
 * Relations created or given a new relfilenode in this transaction have
 * their files published, since the worker cannot see them in the catalog.
 * Returns the new number of entries.
 */
static int
add_write(Relation rel, DiskquotaSlotWrite *writes, int n, bool *has_triggers)
{
	Oid			relid = RelationGetRelid(rel);
	int			i;

	for (i = 0; i < n; i++)
	{
		if (writes[i].relid == relid)
			return n;
	}
	if (rel->trigdesc != NULL)
		*has_triggers = true;
	if (n == DQ_MAX_QUERY_WRITES)
	{
		writes_left_out |= DQ_SLOT_WRITES_OVERFLOW;
		if (rel->rd_rel->relpersistence == RELPERSISTENCE_TEMP)
			writes_left_out |= DQ_SLOT_TEMP_OVERFLOW;
		return n;
	}
	memset(&writes[n], 0, sizeof(DiskquotaSlotWrite));
	writes[n].relid = relid;
	writes[n].temp = rel->rd_rel->relpersistence == RELPERSISTENCE_TEMP;
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
		writes[n].spcoid = rel->rd_node.spcNode;
		/* e.g. truncated earlier in this transaction */
		if (rel->rd_createSubid != InvalidSubTransactionId ||
			rel->rd_firstRelfilenodeSubid != InvalidSubTransactionId)
			diskquota_slot_publish_new_files(relid);
	}
	return n + 1;
}

/* The same for a result relation, by range table index. */
static int
add_result_relation(EState *estate, Index rti, DiskquotaSlotWrite *writes,
					int n, bool *has_triggers)
{
	ResultRelInfo *rri;

	if (estate->es_result_relations == NULL || rti == 0 ||
		rti > estate->es_range_table_size)
		return n;
	rri = estate->es_result_relations[rti - 1];
	if (rri == NULL || rri->ri_RelationDesc == NULL)
		return n;
	return add_write(rri->ri_RelationDesc, writes, n, has_triggers);
}

/* The same for the relations one ModifyTable plan node loads into. */
static int
modify_table_writes(Plan *plan, EState *estate, DiskquotaSlotWrite *writes,
					int n, bool *has_triggers)
{
	ModifyTable *mt = (ModifyTable *) plan;
	ListCell   *lc;

	/* a ModifyTable node is always at the top of its plan */
	if (mt == NULL || !IsA(mt, ModifyTable) || !modify_table_loads(mt))
		return n;
	/* the root first: it stands for all partitions if they do not fit */
	if (mt->rootRelation > 0)
	{
		int			left_out = writes_left_out;
		int			before;

		n = add_result_relation(estate, mt->rootRelation, writes, n, has_triggers);
		/* partitions left out are covered by their root, if it is in */
		before = writes_left_out;
		foreach(lc, mt->resultRelations)
			n = add_result_relation(estate, lfirst_int(lc), writes, n, has_triggers);
		if (before == left_out)
			writes_left_out = left_out;
		return n;
	}
	foreach(lc, mt->resultRelations)
		n = add_result_relation(estate, lfirst_int(lc), writes, n, has_triggers);
	return n;
}

/*
 * What a started query inserts into or updates, described for the slot
 * from the result relations the executor opened; 0 if nothing.  No catalog
 * lookup: the relation descriptors are at hand.  *finish_writes tells
 * whether ExecutorFinish may write too: data-modifying CTEs the query did
 * not read to the end, AFTER triggers.
 */
static int
statement_writes(QueryDesc *queryDesc, DiskquotaSlotWrite *writes,
				 bool *finish_writes, int *overflow)
{
	PlannedStmt *stmt = queryDesc->plannedstmt;
	EState	   *estate = queryDesc->estate;
	bool		has_triggers = false;
	int			n;
	ListCell   *lc;

	*finish_writes = false;
	*overflow = 0;
	if (estate == NULL)
		return 0;
	writes_left_out = 0;
	n = modify_table_writes(stmt->planTree, estate, writes, 0, &has_triggers);
	foreach(lc, stmt->subplans)
		n = modify_table_writes((Plan *) lfirst(lc), estate, writes, n, &has_triggers);
	*finish_writes = n > 0 && (has_triggers || stmt->hasModifyingCTE);
	*overflow = writes_left_out;
	return n;
}

/* Refuse the loads of one ModifyTable plan node into rejected targets. */
static void
check_modify_table(Plan *plan, EState *estate)
{
	ModifyTable *mt = (ModifyTable *) plan;
	ListCell   *lc;

	if (mt == NULL || !IsA(mt, ModifyTable) || !modify_table_loads(mt) ||
		estate->es_result_relations == NULL)
		return;
	foreach(lc, mt->resultRelations)
	{
		Index		rti = lfirst_int(lc);
		ResultRelInfo *rri;

		if (rti == 0 || rti > estate->es_range_table_size)
			continue;
		rri = estate->es_result_relations[rti - 1];
		if (rri != NULL && rri->ri_RelationDesc != NULL)
			check_relation(RelationGetRelid(rri->ri_RelationDesc), rri->ri_RelationDesc);
	}
	if (mt->rootRelation > 0 && mt->rootRelation <= estate->es_range_table_size &&
		estate->es_result_relations[mt->rootRelation - 1] != NULL)
		check_relation(RelationGetRelid(estate->es_result_relations[mt->rootRelation - 1]->ri_RelationDesc),
					   estate->es_result_relations[mt->rootRelation - 1]->ri_RelationDesc);
}

/*
 * Refuse a started statement that loads into a rejected target: every
 * relation it inserts into or updates, however many (the slot holds only
 * DQ_MAX_STATEMENT_WRITES of them).
 */
static void
check_statement(QueryDesc *queryDesc)
{
	ListCell   *lc;

	if (queryDesc->estate == NULL)
		return;
	check_modify_table(queryDesc->plannedstmt->planTree, queryDesc->estate);
	foreach(lc, queryDesc->plannedstmt->subplans)
		check_modify_table((Plan *) lfirst(lc), queryDesc->estate);
}

/*
 * Bounded INSERTs.  An INSERT of at most DQ_BOUNDED_ROWS rows given as
 * constants, parameters or fixed-length expressions (VALUES, or SELECT
 * without FROM), totalling at most DQ_BOUNDED_BYTES with the defaults of
 * the columns it does not list counted once per row, into a plain table
 * with no triggers, no stored generated columns and at most
 * DQ_BOUNDED_INDEXES indexes, all btree or hash on plain columns, writes
 * little more than its input: a row each, an index entry per index, perhaps
 * a new page each (an expression index could compute a large key from a
 * small value, a GIN index many entries).
 * Such a statement is checked before it starts like any other, but it is
 * not published in the slot or polled while it runs: it would be over long
 * before its first poll (one to two check intervals after it starts).
 * That saves most of what this file costs a short OLTP INSERT.
 *
 * Only where the file-change feed watches the database: if a bounded INSERT
 * fails, no ExecutorEnd reports what it wrote, and nothing else would.  The
 * flag is read before the writes here, not after as
 * diskquota_feed_watches_my_database() asks: if the feed stops watching
 * while such an INSERT runs and the INSERT then fails, the little it wrote
 * waits for the next full rescan.
 * Expressions that run nested statements (functions) are harmless here:
 * the nested statements are published and polled themselves.
 */
#define DQ_BOUNDED_ROWS		100
#define DQ_BOUNDED_BYTES	(1024 * 1024)
#define DQ_BOUNDED_INDEXES	4

/*
 * Do the indexes of an INSERT's result relation keep it bounded?  They are
 * judged from their relation cache entries, with no catalog lookup.  The
 * executor opens them at the INSERT's first row (ExecInsert), in the
 * query's memory context; we open them a moment earlier, the same way, and
 * ExecInsert then uses them as it finds them.  speculative is what
 * ExecInsert would pass: whether the INSERT has an ON CONFLICT clause.
 * Their RowExclusiveLock is so taken before the VALUES expressions run, as
 * PostgreSQL 13 and older did: a function in them that drops or reindexes
 * one of the table's indexes fails (this statement has the index open).
 */
static bool
indexes_keep_bounded(ResultRelInfo *rri, EState *estate, bool speculative)
{
	int			i;

	if (!rri->ri_RelationDesc->rd_rel->relhasindex)
		return true;
	if (rri->ri_IndexRelationDescs == NULL)
	{
		MemoryContext oldcontext = MemoryContextSwitchTo(estate->es_query_cxt);

		ExecOpenIndices(rri, speculative);
		MemoryContextSwitchTo(oldcontext);
	}
	if (rri->ri_NumIndices > DQ_BOUNDED_INDEXES)
		return false;
	for (i = 0; i < rri->ri_NumIndices; i++)
	{
		Relation	index = rri->ri_IndexRelationDescs[i];

		if ((index->rd_rel->relam != BTREE_AM_OID &&
			 index->rd_rel->relam != HASH_AM_OID) ||
			!heap_attisnull(index->rd_indextuple, Anum_pg_index_indexprs, NULL))
			return false;
	}
	return true;
}

/*
 * Bytes an expression adds to a row of a bounded INSERT, or -1 if it is not
 * bounded: a variable-length value that is neither a constant nor a
 * parameter whose value is at hand.
 */
static int64
expr_bytes(Node *node, ParamListInfo params)
{
	int16		typlen;
	Datum		value;

	if (IsA(node, Const))
	{
		Const	   *c = (Const *) node;

		if (c->constisnull)
			return 0;
		typlen = c->constlen;
		value = c->constvalue;
	}
	else if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXTERN &&
			 params != NULL && params->paramFetch == NULL &&
			 ((Param *) node)->paramid > 0 &&
			 ((Param *) node)->paramid <= params->numParams)
	{
		ParamExternData *prm = &params->params[((Param *) node)->paramid - 1];

		if (prm->isnull)
			return 0;
		typlen = get_typlen(((Param *) node)->paramtype);
		value = prm->value;
	}
	else
	{
		typlen = get_typlen(exprType(node));
		return typlen > 0 ? typlen : -1;
	}
	if (typlen > 0)
		return typlen;
	if (typlen == -2)
		return strlen(DatumGetCString(value)) + 1;
	/* a TOAST pointer or an expanded object stands for a value of any size */
	if (VARATT_IS_EXTERNAL(DatumGetPointer(value)))
		return -1;
	return VARSIZE_ANY(DatumGetPointer(value));
}

/* Bytes of a list of expressions or target entries, or -1 */
static int64
exprs_bytes(List *exprs, ParamListInfo params, bool vars_allowed)
{
	int64		total = 0;
	ListCell   *lc;

	foreach(lc, exprs)
	{
		Node	   *node = lfirst(lc);
		int64		bytes;

		if (IsA(node, TargetEntry))
			node = (Node *) ((TargetEntry *) node)->expr;
		/* a column of the VALUES list, whose expressions are counted */
		if (vars_allowed && IsA(node, Var))
			continue;
		bytes = expr_bytes(node, params);
		if (bytes < 0)
			return -1;
		total += bytes;
	}
	return total;
}

/*
 * Does queryDesc send its results to the client (a statement the client
 * sent), not to a function or trigger that runs it (SPI, an SQL function)?
 */
static inline bool
client_statement(QueryDesc *queryDesc)
{
	CommandDest dest = queryDesc->dest != NULL ? queryDesc->dest->mydest : DestNone;

	return dest == DestRemote || dest == DestRemoteExecute ||
		dest == DestRemoteSimple || dest == DestDebug;
}

static bool
bounded_insert(QueryDesc *queryDesc)
{
	PlannedStmt *stmt = queryDesc->plannedstmt;
	EState	   *estate = queryDesc->estate;
	ModifyTable *mt = (ModifyTable *) stmt->planTree;
	Plan	   *source;
	Index		rti;
	ResultRelInfo *rri;
	Relation	rel;
	int64		bytes;

	if (mt == NULL || !IsA(mt, ModifyTable) || mt->operation != CMD_INSERT ||
		mt->onConflictAction == ONCONFLICT_UPDATE || stmt->hasModifyingCTE ||
		mt->rootRelation != 0 || list_length(mt->resultRelations) != 1 ||
		estate == NULL || estate->es_result_relations == NULL)
		return false;
	rti = linitial_int(mt->resultRelations);
	if (rti == 0 || rti > estate->es_range_table_size ||
		estate->es_result_relations[rti - 1] == NULL)
		return false;
	rri = estate->es_result_relations[rti - 1];
	rel = rri->ri_RelationDesc;
	/* temporary and new relations need what ExecutorRun publishes */
	if (rel == NULL || rel->rd_rel->relkind != RELKIND_RELATION ||
		rel->trigdesc != NULL ||
		rel->rd_rel->relpersistence == RELPERSISTENCE_TEMP ||
		rel->rd_createSubid != InvalidSubTransactionId ||
		rel->rd_firstRelfilenodeSubid != InvalidSubTransactionId ||
		(rel->rd_att->constr && rel->rd_att->constr->has_generated_stored))
		return false;

	source = outerPlan(mt);
	if (source == NULL || outerPlan(source) != NULL || innerPlan(source) != NULL)
		return false;
	if (IsA(source, Result))
		bytes = exprs_bytes(source->targetlist, queryDesc->params, false);
	else if (IsA(source, ValuesScan))
	{
		List	   *rows = ((ValuesScan *) source)->values_lists;
		ListCell   *lc;

		int64		per_row;

		if (list_length(rows) > DQ_BOUNDED_ROWS)
			return false;

		/*
		 * What the scan computes besides the columns of the VALUES list (the
		 * defaults of the columns the INSERT does not list, a domain's
		 * default among them) is computed anew, and written, for every row.
		 */
		per_row = exprs_bytes(source->targetlist, queryDesc->params, true);
		if (per_row < 0)
			return false;
		bytes = per_row * list_length(rows);
		foreach(lc, rows)
		{
			int64		row = exprs_bytes((List *) lfirst(lc), queryDesc->params, false);

			if (row < 0)
				return false;
			bytes += row;
		}
	}
	else
		return false;
	if (bytes < 0 || bytes > DQ_BOUNDED_BYTES || !diskquota_feed_watches_my_database())
		return false;
	/* last: it opens the indexes, as the INSERT's first row would */
	return indexes_keep_bounded(rri, estate, mt->onConflictAction != ONCONFLICT_NONE);
}

/* ----------------------------------------------------------------
 * Referential actions
 * ----------------------------------------------------------------
 */

/*
 * A referential action runs an UPDATE of the referencing table in the name
 * of the statement that caused it, which was itself checked; a DELETE must
 * not be refused because of it.  Only the UPDATE of ON DELETE SET NULL
 * (and of ON UPDATE SET NULL, which runs the same statement) is exempt,
 * when every column it changes is set to a NULL constant.  Its
 * writes are bounded: it rewrites rows that reference the deleted key, and
 * a row set to NULL references nothing and cannot be pointed at a key again
 * without an INSERT or UPDATE of the referencing table, which is checked.
 * The actions that write a key (ON UPDATE CASCADE, SET DEFAULT) could be
 * repeated to rewrite a full table again and again (flip the referenced
 * key, or alternate the default): they are checked like any statement,
 * refused before they start if a target they write into is rejected, so a
 * DELETE or UPDATE of a referenced key whose action writes into a full
 * target is refused.
 *
 * ri_triggers.c runs the action's statement through SPI with
 * SECURITY_NOFORCE_RLS (InNoForceRLSOperation()); the flag stays set for
 * everything that runs beneath it, user triggers and functions included,
 * and a function may be reached without the function manager setting up
 * its call again (a range type's subtype_diff, cached in the type cache).
 * So the exempt statement is told apart by where it starts, not by what
 * runs: ri_flagged_depth counts the planner and executor calls (planning,
 * ExecutorStart, Run, Finish, End of any statement) in progress that began
 * while the flag was set.  Only a statement whose ExecutorStart comes when
 * that count is 0, that is, one started by the action itself and not from
 * within the planning or execution of another statement under the flag, may
 * be exempt; everything started while it (or any statement under the flag)
 * is planned or runs, and everything its rules add, is checked like any
 * other statement.  (The AFTER triggers the action's statement queues fire
 * after it, with the flag no longer set: they, and the statements in them,
 * are checked; a referential action among them starts its own statement
 * under the flag, judged anew.)  The count is kept in PG_FINALLY blocks, so
 * errors and exception blocks leave it exact.  In addition, the statement must be the
 * one that sets the command tag (canSetTag: a rule's DO ALSO action does
 * not), with no data-modifying CTE, an UPDATE of tables with no rules, and
 * no user code may decide what it writes: not a BEFORE UPDATE (or, for a row
 * moved to another partition, BEFORE INSERT) row trigger of the referencing
 * table, a stored generated column, or an index on expressions or of an
 * access method other than btree and hash (user code computes the keys, or
 * one row makes many entries).  For a partitioned referencing table, whose
 * rows the UPDATE may move into another partition, every leaf must be
 * charged to the same targets (ri_leaf_same_targets); else the action is
 * checked like any statement.
 *
 * As an additional guard, every function that is not built in and whose
 * call is set up while the flag is set is reported to PostgreSQL as needing
 * the function manager hook (needs_fmgr_hook, as sepgsql does): its calls
 * then go through fmgr_security_definer, which calls fmgr_hook at its
 * start, end and abort, and user_function_depth counts those that started
 * while the flag was set and have not ended.  No statement is exempt while
 * one runs: this also covers user code that the flag's region would run
 * outside the planner and executor (none is known).  fmgr_hook events nest: a stack of one bit per
 * level says whether a call was counted, so that calls hooked for another
 * reason (SECURITY DEFINER, SET clauses, another extension's hook) never
 * count.  Calls deeper than the stack are all counted (fail closed).  A
 * top-level abort resets it.
 *
 * The exempt statement that runs is remembered (ri_exempt_query) from its
 * ExecutorStart to its ExecutorEnd, so that ExecutorRun and
 * ExecutorFinish keep it exempt when a nested statement came in between;
 * an abort of the (sub)transaction it started in forgets it.
 */
static int	user_function_depth = 0;	/* counted calls running */
static int	hooked_depth = 0;	/* all hooked calls running */
static uint64 hooked_counted = 0;	/* bit i: the call at level i counts */
static int	ri_flagged_depth = 0;	/* planner/executor calls under the flag */
static QueryDesc *ri_exempt_query = NULL;	/* the exempt statement running */
static PlannedStmt *ri_exempt_plan = NULL;
static int	ri_exempt_level = 0;	/* its transaction nesting level */

/* The needs_fmgr_hook step, after another extension's hook said no */
bool
diskquota_enforcement_needs_fmgr(Oid fn_oid)
{
	HeapTuple	tuple;
	bool		user;

	if (DiskquotaShared == NULL || !InNoForceRLSOperation())
		return false;
	/* RI_FKey_* functions are built in: they never come here */
	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
	if (!HeapTupleIsValid(tuple))
		return true;
	user = ((Form_pg_proc) GETSTRUCT(tuple))->prolang != INTERNALlanguageId;
	ReleaseSysCache(tuple);
	return user;
}

/*
 * The fmgr_hook step: called after another extension's hook on FHET_START
 * (if that fails, there is no FHET_ABORT), before it on FHET_END and
 * FHET_ABORT.
 */
void
diskquota_enforcement_fmgr(FmgrHookEventType event, FmgrInfo *flinfo, Datum *arg)
{
	bool		counted;

	switch (event)
	{
		case FHET_START:
			counted = hooked_depth >= 64 || InNoForceRLSOperation();
			if (hooked_depth < 64)
			{
				if (counted)
					hooked_counted |= UINT64CONST(1) << hooked_depth;
				else
					hooked_counted &= ~(UINT64CONST(1) << hooked_depth);
			}
			hooked_depth++;
			if (counted)
				user_function_depth++;
			break;
		case FHET_END:
		case FHET_ABORT:
			if (hooked_depth > 0)
			{
				hooked_depth--;
				counted = hooked_depth >= 64 ||
					(hooked_counted & (UINT64CONST(1) << hooked_depth)) != 0;
				if (counted && user_function_depth > 0)
					user_function_depth--;
			}
			break;
	}
}

/* Is a value the action's UPDATE writes a NULL constant? */
static bool
ri_null_value(Node *node)
{
	while (node != NULL && (IsA(node, RelabelType) || IsA(node, CoerceToDomain)))
		node = IsA(node, RelabelType) ? (Node *) ((RelabelType *) node)->arg :
			(Node *) ((CoerceToDomain *) node)->arg;
	return node != NULL && IsA(node, Const) && ((Const *) node)->constisnull;
}

/*
 * Does the plan below an UPDATE set every column it changes to NULL?  Its
 * target list holds the new values of the changed columns; its resjunk
 * entries are the row identity.  An Append or MergeAppend (a partitioned
 * table) passes on the values of its children, which must then all set
 * NULL at the same positions (their own entries carry no resjunk marks, so
 * the positions, changed, come from the top of the plan).
 */
static bool
ri_plan_sets_null(Plan *plan, Bitmapset *changed)
{
	bool		passes_on;
	List	   *children = NIL;
	ListCell   *lc;

	if (plan == NULL)
		return false;
	passes_on = IsA(plan, Append) || IsA(plan, MergeAppend);
	foreach(lc, plan->targetlist)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		if (!bms_is_member(foreach_current_index(lc), changed) ||
			ri_null_value((Node *) tle->expr) ||
			(passes_on && IsA(tle->expr, Var)))
			continue;
		return false;
	}
	if (bms_num_members(changed) > 0 &&
		bms_prev_member(changed, -1) >= list_length(plan->targetlist))
		return false;
	if (IsA(plan, Append))
		children = ((Append *) plan)->appendplans;
	else if (IsA(plan, MergeAppend))
		children = ((MergeAppend *) plan)->mergeplans;
	foreach(lc, children)
	{
		if (!ri_plan_sets_null((Plan *) lfirst(lc), changed))
			return false;
	}
	return true;
}

/* The positions of the changed columns in the target list of an UPDATE's plan */
static Bitmapset *
ri_changed_positions(Plan *plan)
{
	Bitmapset  *changed = NULL;
	ListCell   *lc;

	foreach(lc, plan->targetlist)
	{
		if (!lfirst_node(TargetEntry, lc)->resjunk)
			changed = bms_add_member(changed, foreach_current_index(lc));
	}
	return changed;
}

/*
 * Can an index make what is written into its table bigger than the action
 * wants: an index on expressions (user code computes its keys), or of an
 * access method that may add many entries per row (GIN) or large ones?
 */
static bool
ri_index_enlarges(Relation index)
{
	return (index->rd_rel->relam != BTREE_AM_OID &&
			index->rd_rel->relam != HASH_AM_OID) ||
		!heap_attisnull(index->rd_indextuple, Anum_pg_index_indexprs, NULL);
}

/*
 * Can user code make rows written into rel bigger than the action wants?
 * The indexes are those the executor opened (rri), or looked up.
 */
static bool
ri_relation_enlarges(Relation rel, ResultRelInfo *rri)
{
	TriggerDesc *trigdesc = rel->trigdesc;
	bool		enlarges = false;

	if (trigdesc != NULL &&
		(trigdesc->trig_update_before_row || trigdesc->trig_insert_before_row))
		return true;
	if (rel->rd_att->constr != NULL && rel->rd_att->constr->has_generated_stored)
		return true;
	if (!rel->rd_rel->relhasindex)
		return false;
	if (rri != NULL && rri->ri_IndexRelationDescs != NULL)
	{
		int			i;

		for (i = 0; i < rri->ri_NumIndices && !enlarges; i++)
			enlarges = ri_index_enlarges(rri->ri_IndexRelationDescs[i]);
	}
	else
	{
		List	   *indexes = RelationGetIndexList(rel);
		ListCell   *lc;

		foreach(lc, indexes)
		{
			Relation	index = RelationIdGetRelation(lfirst_oid(lc));

			if (index == NULL)
				continue;
			enlarges = ri_index_enlarges(index);
			RelationClose(index);
			if (enlarges)
				break;
		}
		list_free(indexes);
	}
	return enlarges;
}

/* Is rel a table without rules that user code cannot make grow? */
static bool
ri_relation_plain(Relation rel, ResultRelInfo *rri)
{
	return (rel->rd_rel->relkind == RELKIND_RELATION ||
			rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE) &&
		!rel->rd_rel->relhasrules && !ri_relation_enlarges(rel, rri);
}

/*
 * The targets every leaf partition of a partitioned referencing table is
 * charged to.  The action's UPDATE of a partitioned table moves a row whose
 * partition key it sets to NULL into another partition (a DELETE and an
 * INSERT, its TOAST values copied anew), which may be charged to other
 * targets than the partition the row leaves: a schema, owner or tablespace
 * whose quota is full and that the exemption would never check.  So the
 * UPDATE is exempt only when every leaf partition has the same schema,
 * owner and tablespace, and every index of every leaf the same tablespace:
 * then a moved row is written into the very targets it leaves, as a row
 * updated in place is (indexes are always in their table's schema and have
 * its owner).  Partitioned tables in the tree have no storage.
 */
typedef struct RiLeafTargets
{
	bool		seen;			/* a leaf was looked at */
	bool		index_seen;		/* an index of a leaf was looked at */
	Oid			nspid;
	Oid			owner;
	Oid			spcid;
	Oid			index_spcid;
} RiLeafTargets;

static bool
ri_leaf_same_targets(Relation part, RiLeafTargets *leaves)
{
	List	   *indexes;
	ListCell   *lc;
	bool		same = true;

	if (part->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
		return true;
	if (!leaves->seen)
	{
		leaves->seen = true;
		leaves->nspid = part->rd_rel->relnamespace;
		leaves->owner = part->rd_rel->relowner;
		leaves->spcid = part->rd_rel->reltablespace;
	}
	else if (leaves->nspid != part->rd_rel->relnamespace ||
			 leaves->owner != part->rd_rel->relowner ||
			 leaves->spcid != part->rd_rel->reltablespace)
		return false;
	if (!part->rd_rel->relhasindex)
		return true;
	indexes = RelationGetIndexList(part);
	foreach(lc, indexes)
	{
		Relation	index = RelationIdGetRelation(lfirst_oid(lc));

		if (index == NULL)
		{
			same = false;
			break;
		}
		if (!leaves->index_seen)
		{
			leaves->index_seen = true;
			leaves->index_spcid = index->rd_rel->reltablespace;
		}
		else if (leaves->index_spcid != index->rd_rel->reltablespace)
			same = false;
		RelationClose(index);
		if (!same)
			break;
	}
	list_free(indexes);
	return same;
}

/*
 * Does the UPDATE of an action set only NULLs, into tables without rules
 * that user code cannot make grow, and (partitioned) whose rows cannot move
 * into other targets?
 */
static bool
ri_update_sets_null(ModifyTable *mt, EState *estate)
{
	ListCell   *lc;
	RiLeafTargets leaves = {0};

	if (mt == NULL || !IsA(mt, ModifyTable) || mt->operation != CMD_UPDATE ||
		outerPlan(mt) == NULL ||
		!ri_plan_sets_null(outerPlan(mt), ri_changed_positions(outerPlan(mt))))
		return false;
	foreach(lc, mt->resultRelations)
	{
		Index		rti = lfirst_int(lc);
		ResultRelInfo *rri;

		if (rti == 0 || rti > estate->es_range_table_size ||
			(rri = estate->es_result_relations[rti - 1]) == NULL ||
			rri->ri_RelationDesc == NULL ||
			!ri_relation_plain(rri->ri_RelationDesc, rri))
			return false;
	}
	/* a row may move to any partition: see ri_leaf_same_targets */
	if (mt->rootRelation > 0)
	{
		ResultRelInfo *root;

		if (mt->rootRelation > estate->es_range_table_size ||
			(root = estate->es_result_relations[mt->rootRelation - 1]) == NULL ||
			root->ri_RelationDesc == NULL)
			return false;
		foreach(lc, find_all_inheritors(RelationGetRelid(root->ri_RelationDesc),
										NoLock, NULL))
		{
			Relation	part = RelationIdGetRelation(lfirst_oid(lc));
			bool		plain;

			if (part == NULL)
				return false;
			plain = ri_relation_plain(part, NULL) &&
				ri_leaf_same_targets(part, &leaves);
			RelationClose(part);
			if (!plain)
				return false;
		}
	}
	return true;
}

/*
 * Is this started query the exempt statement of a referential action (see
 * above)?  direct: it started under the flag, outside the planning and
 * execution of any other statement under it, and no counted call runs.
 */
static bool
ri_exempt(QueryDesc *queryDesc, bool direct)
{
	PlannedStmt *stmt = queryDesc->plannedstmt;
	EState	   *estate = queryDesc->estate;

	return direct && ri_exempt_query == NULL &&
		stmt->commandType == CMD_UPDATE && stmt->canSetTag &&
		!stmt->hasModifyingCTE && stmt->subplans == NIL &&
		estate != NULL && estate->es_result_relations != NULL &&
		ri_update_sets_null((ModifyTable *) stmt->planTree, estate);
}

/*
 * The hooks' calls under the referential-action flag count in
 * ri_flagged_depth (see "Referential actions").  Out of line, so that the
 * common path, without the flag, sets up no exception handler.
 */
static pg_noinline void
flagged_ExecutorStart(QueryDesc *queryDesc, int eflags, ExecutorStart_hook_type next)
{
	ri_flagged_depth++;
	PG_TRY();
	{
		next(queryDesc, eflags);
	}
	PG_FINALLY();
	{
		ri_flagged_depth--;
	}
	PG_END_TRY();
}

/* The ExecutorStart step: next runs the rest of the chain */
void
diskquota_enforcement_ExecutorStart(QueryDesc *queryDesc, int eflags,
									ExecutorStart_hook_type next)
{
	PlannedStmt *stmt = queryDesc->plannedstmt;
	bool		flagged = InNoForceRLSOperation();
	bool		direct = false;

	if (unlikely(flagged))
	{
		direct = ri_flagged_depth == 0 && user_function_depth == 0;
		flagged_ExecutorStart(queryDesc, eflags, next);
	}
	else
		next(queryDesc, eflags);

	/*
	 * For ExecutorRun and ExecutorFinish of this query: a query that writes
	 * nothing (the common SELECT) is passed straight on by them.
	 */
	started.queryDesc = queryDesc;
	started.plannedstmt = stmt;
	started.nwrites = 0;
	started.finish_writes = false;
	started.overflow = 0;

	/* nothing has been written yet: the checks can still refuse it */
	if (!diskquota_enforcing || stmt->resultRelations == NIL ||
		(eflags & EXEC_FLAG_EXPLAIN_ONLY))
		return;

	/*
	 * With self-charging, only a statement the client sent takes the bounded
	 * path: run by a function or trigger, many of them would write what no
	 * statement measures (each charges what it wrote instead).
	 */
	if ((!diskquota_self_charge || client_statement(queryDesc)) &&
		bounded_insert(queryDesc))
	{
		/* nothing to publish or poll: they pass it straight on */
		started.nwrites = 0;
		started.finish_writes = false;
		started.overflow = 0;
		refuse_after_stop_request();
		if (checks_due())
			check_statement(queryDesc);
		return;
	}
	started.nwrites = statement_writes(queryDesc, started.writes,
									   &started.finish_writes, &started.overflow);
	if (started.nwrites == 0)
		return;

	/*
	 * The ON DELETE SET NULL statement of a referential action runs in the
	 * name of the statement that caused it, which is itself checked: see
	 * "Referential actions".  Every other statement under the flag is checked
	 * as any other.
	 */
	if (unlikely(flagged) && ri_exempt(queryDesc, direct))
	{
		ri_exempt_query = queryDesc;
		ri_exempt_plan = stmt;
		ri_exempt_level = GetCurrentTransactionNestLevel();
		started.nwrites = 0;
		started.finish_writes = false;
		return;
	}
	refuse_after_stop_request();
	if (checks_due())
		check_statement(queryDesc);
}

/* Is queryDesc the exempt statement of a referential action that runs? */
static inline bool
ri_exempt_running(QueryDesc *queryDesc)
{
	return ri_exempt_query == queryDesc &&
		ri_exempt_plan == queryDesc->plannedstmt;
}

/*
 * The planner, and ExecutorEnd: under the flag, they count in
 * ri_flagged_depth too (a statement started from within them is not the
 * action's own).
 */
static pg_noinline PlannedStmt *
flagged_planner(Query *parse, const char *query_string, int cursorOptions,
				ParamListInfo boundParams, planner_hook_type next)
{
	PlannedStmt *result;

	ri_flagged_depth++;
	PG_TRY();
	{
		result = next(parse, query_string, cursorOptions, boundParams);
	}
	PG_FINALLY();
	{
		ri_flagged_depth--;
	}
	PG_END_TRY();
	return result;
}

/* The planner step: next runs the rest of the chain */
PlannedStmt *
diskquota_enforcement_planner(Query *parse, const char *query_string,
							  int cursorOptions, ParamListInfo boundParams,
							  planner_hook_type next)
{
	if (unlikely(InNoForceRLSOperation()))
		return flagged_planner(parse, query_string, cursorOptions, boundParams,
							   next);
	return next(parse, query_string, cursorOptions, boundParams);
}

static pg_noinline void
flagged_ExecutorEnd(QueryDesc *queryDesc, ExecutorEnd_hook_type next)
{
	ri_flagged_depth++;
	PG_TRY();
	{
		next(queryDesc);
	}
	PG_FINALLY();
	{
		ri_flagged_depth--;
	}
	PG_END_TRY();
}

/* The ExecutorEnd step: next runs the rest of the chain */
void
diskquota_enforcement_ExecutorEnd(QueryDesc *queryDesc, ExecutorEnd_hook_type next)
{
	if (unlikely(ri_exempt_query != NULL) && ri_exempt_running(queryDesc))
		ri_exempt_query = NULL;
	if (unlikely(InNoForceRLSOperation()))
		flagged_ExecutorEnd(queryDesc, next);
	else
		next(queryDesc);
}

/* An aborted subtransaction forgets the exempt statement started in it */
static void
enforcement_subxact_callback(SubXactEvent event,
							 SubTransactionId mySubid,
							 SubTransactionId parentSubid,
							 void *arg)
{
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	if (ri_exempt_query != NULL &&
		ri_exempt_level >= GetCurrentTransactionNestLevel())
		ri_exempt_query = NULL;
	/* a DROP EXTENSION rolled back: the extension and its quotas stay */
	if (clear_quotas_at_commit &&
		clear_quotas_level >= GetCurrentTransactionNestLevel())
		clear_quotas_at_commit = false;

	/*
	 * The subtransaction in which pause() or resume() ran was rolled back,
	 * and its change of diskquota.pause_state with it: make no change at
	 * commit, and let the worker read the table at its next refresh (an
	 * earlier call in an enclosing level, if any, takes effect then).
	 */
	if (pending_pause >= 0 &&
		pending_pause_level >= GetCurrentTransactionNestLevel())
	{
		pending_pause = -1;
		diskquota_wake_worker_at_commit();
	}
}

/*
 * diskquota.pause() (paused) or resume() ran: takes effect when the
 * transaction commits.
 */
void
diskquota_set_paused_at_commit(bool paused)
{
	pending_pause = paused ? 1 : 0;
	pending_pause_level = GetCurrentTransactionNestLevel();
}

/* ----------------------------------------------------------------
 * Stopping a running statement
 * ----------------------------------------------------------------
 */

/* Nesting of writing executions; the outermost one is "the statement". */
static int	write_depth = 0;

/* Generation of the outermost one, as published in the slot */
static uint64 write_generation = 0;

/* The outermost writing execution runs: the timeout handler polls */
static volatile sig_atomic_t write_running = false;

/* Timeouts that fired while it ran */
static volatile sig_atomic_t write_ticks = 0;

/* It writes temporary relations, whose growth only the worker sees */
static volatile sig_atomic_t write_wakes_often = false;

/* Set by the timeout handler when it interrupted the statement */
static volatile sig_atomic_t cancel_sent = false;
static TimeoutId cancel_check_timeout = MAX_TIMEOUTS;

/*
 * The worker asked to stop the running statement, which has run long
 * enough to be stopped: nothing nested in it may start writing (a function
 * that swallowed the interrupt would go on writing otherwise), bounded
 * INSERTs included.  The request stays for the statement's end.  Called
 * before a nested execution that loads starts.
 */
static pg_noinline void
refuse_after_stop_request_nested(void)
{
	DiskquotaTarget target;

	/* the statement stopped itself (self_charge_poll, selfcharge.c) */
	if (diskquota_self_charge_stopped() && !diskquota_paused())
		diskquota_report_rejected(diskquota_self_charge_stopped_target(),
								  DQ_REFUSAL_STOPPED);
	if (write_ticks >= 2 &&
		diskquota_slot_cancel_requested(write_generation) &&
		diskquota_slot_cancel_target(write_generation, &target, false))
		diskquota_report_rejected(&target, DQ_REFUSAL_STOPPED);
}

/* Commonly no writing statement runs: one test */
static inline void
refuse_after_stop_request(void)
{
	if (unlikely(write_depth > 0))
		refuse_after_stop_request_nested();
}

/*
 * The timeout that polls the slot is a one-shot timeout that re-arms itself
 * while a writing statement runs, and lapses at the first firing after the
 * statement ended.  A statement that starts while it is still armed has
 * nothing to do; so arming costs a system call at most once per
 * diskquota.load_check_interval, not once per statement, and an idle
 * backend gets at most one needless SIGALRM.  A statement is first polled
 * between one and two intervals after it starts.
 *
 * timeout.c removes a timeout from its active list before calling its
 * handler and schedules the next alarm after the handler returns, so the
 * handler may arm its own timeout again.
 *
 * This runs in a signal handler: atomic reads, flags, and the timeout
 * machinery, which is made to be used there.
 */
static void
cancel_check_handler(void)
{
	if (!write_running)
		return;

	/*
	 * From the second firing on, the statement has run for at least a whole
	 * interval: only then is it stopped (a statement shorter than that is
	 * never stopped, whatever its phase against the timer), and the worker is
	 * woken, in case nothing else wakes it: once, or at every firing if the
	 * statement writes temporary relations, whose files the file-change feed
	 * cannot map (the worker then also refreshes every interval on its own,
	 * but only from its first refresh that sees the statement).
	 */
	if (++write_ticks == 2 || (write_ticks > 2 && write_wakes_often))
		diskquota_wake_worker_from_handler();

	/* the statement measures its growth at its next row (selfcharge.c) */
	diskquota_self_charge_due_from_handler();

	/*
	 * The interrupt is sent again at every firing while the request stands:
	 * an exception block of a function the statement runs may have caught the
	 * one sent before (WHEN query_canceled).  Never take over a cancel
	 * already pending (a user's, a timeout's, or ours not processed yet).
	 */
	if (write_ticks >= 2 && !QueryCancelPending &&
		diskquota_slot_cancel_requested(write_generation))
	{
		cancel_sent = true;
		QueryCancelPending = true;
		InterruptPending = true;
		SetLatch(MyLatch);
	}
	if (diskquota_load_check_interval > 0)
		enable_timeout_after(cancel_check_timeout, diskquota_load_check_interval);
}

/*
 * A writing execution begins: publish what it writes (overflow: the
 * DQ_SLOT_*_OVERFLOW bits of what did not fit in writes) and, for the
 * outermost one, start polling.
 */
static void
begin_write_overflow(const DiskquotaSlotWrite *writes, int n, int overflow)
{
	bool		temp = (overflow & DQ_SLOT_TEMP_OVERFLOW) != 0;
	int			i;

	for (i = 0; i < n && !temp; i++)
		temp = writes[i].temp;

	refuse_after_stop_request();
	if (write_depth++ > 0)
	{
		(void) diskquota_slot_begin_write(false, writes, n, overflow);
		if (temp)
			write_wakes_often = true;
		return;
	}
	cancel_sent = false;
	write_ticks = 0;
	write_wakes_often = temp;
	write_generation = diskquota_slot_begin_write(true, writes, n, overflow);
	if (write_generation == 0 || diskquota_load_check_interval <= 0)
		return;
	/* the handler must see the generation before it sees the flag */
	pg_compiler_barrier();
	write_running = true;
	if (cancel_check_timeout == MAX_TIMEOUTS)
		cancel_check_timeout = RegisterTimeout(USER_TIMEOUT, cancel_check_handler);
	if (!get_timeout_active(cancel_check_timeout))
	{
		diskquota_prepare_wake_from_handler();
		enable_timeout_after(cancel_check_timeout, diskquota_load_check_interval);
	}
}

/*
 * Leave a writing execution; true when the outermost one ends.  The timeout
 * stays armed and lapses by itself.
 */
static bool
end_write(void)
{
	/* the execution that began charging ends (diskquota_self_charge_begin) */
	if (--write_depth < diskquota_self_charge_depth())
		diskquota_self_charge_end(true, false);
	if (write_depth > 0)
		return false;
	write_running = false;
	diskquota_self_charge_end(true, false);
	diskquota_slot_end_write();
	return true;
}

/*
 * A failed execution may have grown what it wrote: make sure the worker
 * looks at it, even though no ExecutorEnd comes.  Where the file-change
 * feed watches the database, it saw the files grow, except for temporary
 * relations, whose files it cannot map to a relation.  The flag is read
 * after the writes, as diskquota_feed_watches_my_database() requires.
 */
static void
mark_failed_writes(const DiskquotaSlotWrite *writes, int n)
{
	bool		watched = diskquota_feed_watches_my_database();
	int			i;

	for (i = 0; i < n; i++)
	{
		if (!OidIsValid(writes[i].relid))
			continue;
		if (!watched || writes[i].temp)
			diskquota_mark_relation_active_at_end(writes[i].relid, false);
	}
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
	DiskquotaSlotWrite writes[DQ_MAX_STATEMENT_WRITES];
	int			nwrites = diskquota_slot_copy_writes(writes);
	ErrorData  *edata;
	DiskquotaTarget target;
	bool		outermost;
	bool		sent;

	/* first of all: stop the polling, so that nothing more is raised */
	outermost = end_write();
	MemoryContextSwitchTo(oldcontext);
	/* what this execution and those nested in it wrote */
	mark_failed_writes(writes, nwrites);
	if (!outermost)
		PG_RE_THROW();

	/*
	 * Only the outermost execution decides, so that the quota error cannot be
	 * swallowed by an exception block of a trigger or function that the
	 * statement runs: below it, our cancel passes through as a cancel.  The
	 * request is withdrawn whatever the error: the statement fails anyway.
	 */
	sent = cancel_sent;
	cancel_sent = false;
	if (!diskquota_slot_cancel_target(generation, &target, true))
		PG_RE_THROW();
	edata = CopyErrorData();
	if (sent && edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
	{
		FlushErrorState();
		FreeErrorData(edata);
		QueryCancelPending = false;
		diskquota_report_rejected(&target, DQ_REFUSAL_STOPPED);
	}
	/* another error came first: our cancel must not survive it */
	if (sent)
		QueryCancelPending = false;
	FreeErrorData(edata);
	PG_RE_THROW();
}

/*
 * A writing execution completed.  If the worker asked to stop this
 * statement and it ran long enough to be stopped (two check intervals, see
 * cancel_check_handler), it did write into a rejected target: fail it with
 * the quota error now, whether the interrupt we sent is still pending, was
 * swallowed by an exception block of a function the statement ran (WHEN
 * query_canceled), or was not sent yet.  Such a statement never completes.
 * A shorter one is never stopped, so that whether a short statement
 * succeeds does not depend on when the worker refreshes.  Our interrupt,
 * if still pending, is discarded, so that it cannot hit whatever runs next.
 */
static void
end_write_ok(uint64 generation)
{
	DiskquotaTarget target;
	DiskquotaTarget stopped_target;
	bool		sent;
	bool		stoppable;
	bool		stopped = false;

	/* read before end_write() stops the timeout handler counting */
	stoppable = write_ticks >= 2;
	if (write_depth == diskquota_self_charge_depth())
	{
		/*
		 * it stopped itself, and a function caught that: see charge_stopped
		 * (selfcharge.c)
		 */
		stopped = diskquota_self_charging() && diskquota_self_charge_stopped() &&
			!diskquota_paused();
		stopped_target = *diskquota_self_charge_stopped_target();
		diskquota_self_charge_end(true, true);
	}
	if (!end_write())
	{
		if (stopped)
			diskquota_report_rejected(&stopped_target, DQ_REFUSAL_STOPPED);
		return;
	}
	sent = cancel_sent;
	cancel_sent = false;
	if (diskquota_slot_cancel_target(generation, &target, true))
	{
		if (sent)
			QueryCancelPending = false;
		if (sent || stoppable)
			diskquota_report_rejected(&target, DQ_REFUSAL_STOPPED);
	}
	else if (sent)
	{
		/*
		 * diskquota.pause() withdrew the request after we interrupted
		 * ourselves: the interrupt must not hit what runs next.
		 */
		QueryCancelPending = false;
	}
	if (stopped)
		diskquota_report_rejected(&stopped_target, DQ_REFUSAL_STOPPED);
}

/*
 * What the statement of queryDesc writes: as ExecutorStart found it, or
 * anew into buf (ExecutorStart of a nested query came in between, as with
 * cursors).  Sets *writes to the array, and returns its length.
 */
static int
query_writes(QueryDesc *queryDesc, DiskquotaSlotWrite *buf,
			 const DiskquotaSlotWrite **writes, bool *finish_writes, int *overflow)
{
	*finish_writes = false;
	*overflow = 0;
	*writes = buf;
	if (!diskquota_enforcing || queryDesc->plannedstmt->resultRelations == NIL)
		return 0;
	if (started.queryDesc == queryDesc &&
		started.plannedstmt == queryDesc->plannedstmt)
	{
		*writes = started.writes;
		*finish_writes = started.finish_writes;
		*overflow = started.overflow;
		return started.nwrites;
	}
	if (ri_exempt_running(queryDesc))
		return 0;
	return statement_writes(queryDesc, buf, finish_writes, overflow);
}

/*
 * Is queryDesc the query ExecutorStart last saw, and found nothing to
 * publish or poll in?  The common case, checked first so that the hooks
 * cost next to nothing then.
 */
static inline bool
started_without_writes(QueryDesc *queryDesc)
{
	return started.queryDesc == queryDesc &&
		started.plannedstmt == queryDesc->plannedstmt && started.nwrites == 0;
}

/* ExecutorRun of a query that may write: published and polled */
static pg_noinline void
run_writing(QueryDesc *queryDesc, ScanDirection direction, uint64 count,
			bool execute_once, ExecutorRun_hook_type next)
{
	DiskquotaSlotWrite buf[DQ_MAX_QUERY_WRITES];
	const DiskquotaSlotWrite *writes;
	bool		finish_writes;
	int			overflow;
	int			nwrites = query_writes(queryDesc, buf, &writes, &finish_writes,
									   &overflow);
	uint64		generation;
	MemoryContext oldcontext = CurrentMemoryContext;
	volatile int first_node = diskquota_self_charge_wrapped();
	volatile bool joined = false;

	if (nwrites == 0)
	{
		next(queryDesc, direction, count, execute_once);
		return;
	}

	begin_write_overflow(writes, nwrites, overflow);
	generation = write_generation;
	PG_TRY();
	{
		/* charge what it writes: itself, or with the statement it is in */
		if (write_running && !diskquota_self_charging())
			(void) diskquota_self_charge_begin(queryDesc, write_depth);
		else if (write_running)
		{
			first_node = diskquota_self_charge_wrapped();
			joined = true;
			diskquota_self_charge_join(queryDesc);
		}
		next(queryDesc, direction, count, execute_once);
	}
	PG_CATCH();
	{
		if (joined)
			diskquota_self_charge_unwrap(first_node);
		end_write_error(oldcontext, generation);
	}
	PG_END_TRY();
	if (joined)
		diskquota_self_charge_unwrap(first_node);
	end_write_ok(generation);
}

/* ExecutorRun under the referential-action flag: see "Referential actions" */
static pg_noinline void
flagged_ExecutorRun(QueryDesc *queryDesc, ScanDirection direction, uint64 count,
					bool execute_once, ExecutorRun_hook_type next)
{
	ri_flagged_depth++;
	PG_TRY();
	{
		if (started_without_writes(queryDesc))
			next(queryDesc, direction, count, execute_once);
		else
			run_writing(queryDesc, direction, count, execute_once, next);
	}
	PG_FINALLY();
	{
		ri_flagged_depth--;
	}
	PG_END_TRY();
}

/*
 * A writing CREATE TABLE AS, SELECT INTO, CREATE or REFRESH MATERIALIZED
 * VIEW runs (run_writing_utility): the ExecutorRun of its query (the next
 * one whose DestReceiver is of that kind) is to charge its receiver (see
 * "CREATE TABLE AS ... charge themselves too" in selfcharge.c).
 */
static bool charge_dest_pending = false;

/*
 * ExecutorRun of the query of a CREATE TABLE AS or REFRESH that charges
 * itself: see "CREATE TABLE AS ... charge themselves too" (selfcharge.c).
 * Such a query writes no ModifyTable node: it is neither published nor
 * polled here.
 */
static pg_noinline void
run_charging_dest(QueryDesc *queryDesc, ScanDirection direction, uint64 count,
				  bool execute_once, ExecutorRun_hook_type next)
{
	/* the receiver of a statement this one runs in, if any */
	DiskquotaChargeDest outer;
	DiskquotaTarget stopped_target;
	bool		stopped;

	diskquota_self_charge_dest_save(&outer);
	charge_dest_pending = false;
	diskquota_self_charge_dest_begin(queryDesc);
	PG_TRY();
	{
		if (unlikely(InNoForceRLSOperation()))
			flagged_ExecutorRun(queryDesc, direction, count, execute_once, next);
		else if (started_without_writes(queryDesc))
			next(queryDesc, direction, count, execute_once);
		else
			run_writing(queryDesc, direction, count, execute_once, next);
	}
	PG_CATCH();
	{
		(void) diskquota_self_charge_dest_end(false, &stopped_target);
		diskquota_self_charge_dest_restore(&outer);
		PG_RE_THROW();
	}
	PG_END_TRY();
	stopped = diskquota_self_charge_dest_end(true, &stopped_target);
	diskquota_self_charge_dest_restore(&outer);
	if (stopped)
		diskquota_report_rejected(&stopped_target, DQ_REFUSAL_STOPPED);
}

/* The ExecutorRun step: next runs the rest of the chain */
void
diskquota_enforcement_ExecutorRun(QueryDesc *queryDesc, ScanDirection direction,
								  uint64 count, bool execute_once,
								  ExecutorRun_hook_type next)
{
	if (unlikely(charge_dest_pending) && diskquota_charges_dest(queryDesc))
		run_charging_dest(queryDesc, direction, count, execute_once, next);
	else if (unlikely(InNoForceRLSOperation()))
		flagged_ExecutorRun(queryDesc, direction, count, execute_once, next);
	else if (started_without_writes(queryDesc))
		next(queryDesc, direction, count, execute_once);
	else
		run_writing(queryDesc, direction, count, execute_once, next);
}

/* ExecutorFinish of a query that may write then: published and polled */
static pg_noinline void
finish_writing(QueryDesc *queryDesc, ExecutorFinish_hook_type next)
{
	DiskquotaSlotWrite buf[DQ_MAX_QUERY_WRITES];
	const DiskquotaSlotWrite *writes;
	bool		finish_writes;
	int			overflow;
	int			nwrites = query_writes(queryDesc, buf, &writes, &finish_writes,
									   &overflow);
	uint64		generation;
	MemoryContext oldcontext = CurrentMemoryContext;
	volatile int first_node = diskquota_self_charge_wrapped();
	volatile bool joined = false;

	if (nwrites == 0 || !finish_writes)
	{
		next(queryDesc);
		return;
	}

	begin_write_overflow(writes, nwrites, overflow);
	generation = write_generation;
	PG_TRY();
	{
		/*
		 * The data-modifying CTEs the query did not read to the end run here:
		 * charged as in run_writing.  AFTER triggers' statements charge
		 * themselves.
		 */
		if (write_running && queryDesc->plannedstmt->hasModifyingCTE)
		{
			if (!diskquota_self_charging())
				(void) diskquota_self_charge_begin(queryDesc, write_depth);
			else
			{
				first_node = diskquota_self_charge_wrapped();
				joined = true;
				diskquota_self_charge_join(queryDesc);
			}
		}
		next(queryDesc);
	}
	PG_CATCH();
	{
		if (joined)
			diskquota_self_charge_unwrap(first_node);
		end_write_error(oldcontext, generation);
	}
	PG_END_TRY();
	if (joined)
		diskquota_self_charge_unwrap(first_node);
	end_write_ok(generation);
}

/* ExecutorFinish under the referential-action flag: see "Referential actions" */
static pg_noinline void
flagged_ExecutorFinish(QueryDesc *queryDesc, ExecutorFinish_hook_type next)
{
	ri_flagged_depth++;
	PG_TRY();
	{
		if (started.queryDesc == queryDesc &&
			started.plannedstmt == queryDesc->plannedstmt &&
			!started.finish_writes)
			next(queryDesc);
		else
			finish_writing(queryDesc, next);
	}
	PG_FINALLY();
	{
		ri_flagged_depth--;
	}
	PG_END_TRY();
}

/*
 * ExecutorFinish writes too: data-modifying CTEs that the query did not
 * read to the end, AFTER triggers.  Commonly, ExecutorStart found that this
 * query writes nothing there.
 *
 * The ExecutorFinish step: next runs the rest of the chain.
 */
void
diskquota_enforcement_ExecutorFinish(QueryDesc *queryDesc, ExecutorFinish_hook_type next)
{
	if (unlikely(InNoForceRLSOperation()))
		flagged_ExecutorFinish(queryDesc, next);
	else if (started.queryDesc == queryDesc &&
			 started.plannedstmt == queryDesc->plannedstmt && !started.finish_writes)
		next(queryDesc);
	else
		finish_writing(queryDesc, next);
}

/*
 * Safety net: whatever happened in between, a transaction that aborts at
 * top level leaves no writing execution behind.
 */
static void end_moves(bool committed);
static List *moved_bytes;

static void
enforcement_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PREPARE)
	{
		if (unlikely(moved_bytes != NIL))
			end_moves(true);
		if (unlikely(clear_quotas_at_commit))
		{
			if (event == XACT_EVENT_COMMIT)
				diskquota_clear_quota_map(MyDatabaseId);
			clear_quotas_at_commit = false;
		}
		if (unlikely(pending_pause >= 0))
		{
			if (event == XACT_EVENT_COMMIT)
			{
				diskquota_set_paused(MyDatabaseId, pending_pause == 1);
				/* stop requests not acted upon yet are withdrawn */
				if (pending_pause == 1)
					diskquota_slot_withdraw_cancels(MyDatabaseId);
			}
			pending_pause = -1;
		}
		return;
	}
	if (event != XACT_EVENT_ABORT)
		return;
	clear_quotas_at_commit = false;
	pending_pause = -1;
	if (moved_bytes != NIL)
		end_moves(false);
	diskquota_internal_sql_depth = 0;
	user_function_depth = 0;
	hooked_depth = 0;
	ri_flagged_depth = 0;
	ri_exempt_query = NULL;
	charge_dest_pending = false;
	diskquota_self_charge_at_abort();
	if (write_depth == 0)
		return;
	/* the plan the statement ran may be gone: nothing to unwrap */
	diskquota_self_charge_end(false, false);
	write_depth = 1;
	(void) end_write();
	cancel_sent = false;
}

/*
 * What an ALTER TABLE loads: DQ_ALTER_LOADS if it may build an index or
 * rewrite the table, DQ_ALTER_MOVES if it only moves the relation to
 * another tablespace (*spcoid), DQ_ALTER_NONE otherwise.  A rewrite in the
 * same statement as SET TABLESPACE writes into the new tablespace: *spcoid
 * is set then too.  *target is the relation written into: the statement's,
 * or the table ATTACH PARTITION attaches (the parent's indexes are built on
 * it).
 *
 * An allowlist: a subcommand is taken to load unless it is known to write
 * no data (fail closed).  ADD COLUMN writes nothing only without a default
 * or with a literal one, and of a type that is no domain: a volatile
 * default, serial, identity, a stored generated column or a domain with
 * constraints rewrite the table, and PRIMARY KEY, UNIQUE and EXCLUDE build
 * an index.
 */
typedef enum AlterLoad
{
	DQ_ALTER_NONE,
	DQ_ALTER_LOADS,
	DQ_ALTER_MOVES
} AlterLoad;

/* Is a type, by name, one whose values ADD COLUMN may write freely? */
static bool
plain_column_type(TypeName *typeName)
{
	Oid			typid;

	/* %TYPE is left alone: looking it up here would repeat its NOTICE */
	if (typeName == NULL || typeName->pct_type)
		return false;
	typid = LookupTypeNameOid(NULL, typeName, true);
	return OidIsValid(typid) && get_typtype(typid) != TYPTYPE_DOMAIN;
}

/*
 * Is a raw default expression a literal, evaluated once when the column is
 * added and never per row?  A string literal or NULL is read by the type's
 * input function once; another literal (a number) only into a built-in
 * type, since a user's cast from it could be volatile.
 */
static bool
literal_default(Node *expr, TypeName *coltype)
{
	if (expr == NULL)
		return true;
	if (IsA(expr, TypeCast))
	{
		TypeCast   *cast = (TypeCast *) expr;

		return cast->arg != NULL && IsA(cast->arg, A_Const) &&
			(((A_Const *) cast->arg)->isnull ||
			 IsA(&((A_Const *) cast->arg)->val, String)) &&
			plain_column_type(cast->typeName);
	}
	if (!IsA(expr, A_Const))
		return false;
	if (((A_Const *) expr)->isnull || IsA(&((A_Const *) expr)->val, String))
		return true;
	return LookupTypeNameOid(NULL, coltype, true) < FirstGenbkiObjectId;
}

/* Does ALTER TABLE ... ADD COLUMN write into the table? */
static bool
add_column_loads(ColumnDef *def)
{
	ListCell   *lc;
	const char *typname;

	if (def == NULL || !IsA(def, ColumnDef) || def->typeName == NULL)
		return true;
	if (def->identity || def->generated || def->cooked_default ||
		!literal_default(def->raw_default, def->typeName) ||
		!plain_column_type(def->typeName))
		return true;
	/* serial types get a nextval() default */
	typname = strVal(llast(def->typeName->names));
	if (strcmp(typname, "smallserial") == 0 || strcmp(typname, "serial2") == 0 ||
		strcmp(typname, "serial") == 0 || strcmp(typname, "serial4") == 0 ||
		strcmp(typname, "bigserial") == 0 || strcmp(typname, "serial8") == 0)
		return true;
	foreach(lc, def->constraints)
	{
		Constraint *con = lfirst_node(Constraint, lc);

		switch (con->contype)
		{
			case CONSTR_NULL:
			case CONSTR_NOTNULL:
			case CONSTR_CHECK:
			case CONSTR_FOREIGN:
			case CONSTR_ATTR_DEFERRABLE:
			case CONSTR_ATTR_NOT_DEFERRABLE:
			case CONSTR_ATTR_DEFERRED:
			case CONSTR_ATTR_IMMEDIATE:
				break;
			case CONSTR_DEFAULT:
				if (!literal_default(con->raw_expr, def->typeName) || con->cooked_expr)
					return true;
				break;
			default:
				/* identity, generated, primary key, unique, exclude */
				return true;
		}
	}
	return false;
}

static AlterLoad
alter_table_loads(AlterTableStmt *stmt, Oid *spcoid, RangeVar **target)
{
	bool		loads = false;
	bool		moves = false;
	ListCell   *lc;

	*target = stmt->relation;
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		switch (cmd->subtype)
		{
			case AT_SetTableSpace:
				*spcoid = get_tablespace_oid(cmd->name, true);
				moves = OidIsValid(*spcoid);
				break;
			case AT_AddColumn:
			case AT_AddColumnRecurse:
				if (stmt->objtype != OBJECT_TYPE && add_column_loads((ColumnDef *) cmd->def))
					loads = true;
				break;
			case AT_AddConstraint:
			case AT_AddConstraintRecurse:
				{
					Constraint *con = (Constraint *) cmd->def;

					if (!IsA(con, Constraint) ||
						(con->contype != CONSTR_CHECK && con->contype != CONSTR_FOREIGN &&
						 con->contype != CONSTR_NOTNULL))
						loads = true;
					break;
				}
			case AT_AttachPartition:
				{
					PartitionCmd *part = (PartitionCmd *) cmd->def;

					/* ALTER INDEX ... ATTACH PARTITION builds nothing */
					if (stmt->objtype == OBJECT_INDEX)
						break;
					loads = true;
					if (part != NULL && IsA(part, PartitionCmd) && part->name != NULL)
						*target = part->name;
					break;
				}
				/* these write no data: the table is only read, if at all */
			case AT_AddColumnToView:
			case AT_ColumnDefault:
			case AT_DropNotNull:
			case AT_SetNotNull:
			case AT_DropExpression:
			case AT_CheckNotNull:
			case AT_SetStatistics:
			case AT_SetOptions:
			case AT_ResetOptions:
			case AT_SetStorage:
			case AT_SetCompression:
			case AT_DropColumn:
			case AT_DropColumnRecurse:
			case AT_AlterConstraint:
			case AT_ValidateConstraint:
			case AT_ValidateConstraintRecurse:
			case AT_DropConstraint:
			case AT_DropConstraintRecurse:
			case AT_AlterColumnGenericOptions:
			case AT_ChangeOwner:
			case AT_ClusterOn:
			case AT_DropCluster:
			case AT_DropOids:
			case AT_SetRelOptions:
			case AT_ResetRelOptions:
			case AT_ReplaceRelOptions:
			case AT_EnableTrig:
			case AT_EnableAlwaysTrig:
			case AT_EnableReplicaTrig:
			case AT_DisableTrig:
			case AT_EnableTrigAll:
			case AT_DisableTrigAll:
			case AT_EnableTrigUser:
			case AT_DisableTrigUser:
			case AT_EnableRule:
			case AT_EnableAlwaysRule:
			case AT_EnableReplicaRule:
			case AT_DisableRule:
			case AT_AddInherit:
			case AT_DropInherit:
			case AT_AddOf:
			case AT_DropOf:
			case AT_ReplicaIdentity:
			case AT_EnableRowSecurity:
			case AT_DisableRowSecurity:
			case AT_ForceRowSecurity:
			case AT_NoForceRowSecurity:
			case AT_GenericOptions:
			case AT_DetachPartition:
			case AT_DetachPartitionFinalize:
			case AT_AddIdentity:
			case AT_SetIdentity:
			case AT_DropIdentity:
				break;
			default:
				/* index builds, rewrites, and anything not known */
				loads = true;
				break;
		}
	}
	return loads ? DQ_ALTER_LOADS : moves ? DQ_ALTER_MOVES : DQ_ALTER_NONE;
}

/* The tablespace a new relation goes to, by name or default */
static Oid
new_relation_tablespace(const char *name, char relpersistence)
{
	Oid			spcoid;

	if (name != NULL)
		spcoid = get_tablespace_oid(name, true);
	else
		spcoid = GetDefaultTablespace(relpersistence, false);
	return diskquota_relation_tablespace(spcoid);
}

/*
 * Does an EXPLAIN run its statement (ANALYZE)?  Decided as ExplainQuery()
 * decides: the options in order, the last "analyze" wins, its value read
 * by defGetBoolean() (none, on/off, true/false, 1/0, ...).  A value that
 * defGetBoolean() refuses fails here as it would there.
 */
static bool
explain_analyzes(ExplainStmt *stmt)
{
	bool		analyze = false;
	ListCell   *lc;

	foreach(lc, stmt->options)
	{
		DefElem    *opt = (DefElem *) lfirst(lc);

		if (strcmp(opt->defname, "analyze") == 0)
			analyze = defGetBoolean(opt);
	}
	return analyze;
}

/*
 * Name resolution.  A utility statement that loads into an existing
 * relation names it; the relation checked must be the one the command then
 * loads into.  So the name is resolved here as the command resolves it,
 * with the lock the command takes and the permission check it makes before
 * locking (so that no one can lock a relation they could not), and the
 * statement's RangeVar is then qualified with the relation's schema: the
 * command's own lookup, under the lock we hold, finds that very relation,
 * whatever is dropped or created meanwhile.  The caller passes a tree it may
 * change (copied if readOnlyTree).
 */
static void
qualify_relation(RangeVar *rv, Oid relid)
{
	Oid			nspoid;

	if (!OidIsValid(relid) || rv == NULL)
		return;
	nspoid = get_rel_namespace(relid);
	if (!OidIsValid(nspoid))
		return;
	rv->schemaname = isTempNamespace(nspoid) ? pstrdup("pg_temp") :
		get_namespace_name(nspoid);
	rv->catalogname = NULL;
}

static Oid
lookup_locked(RangeVar *rv, LOCKMODE lockmode, bool missing_ok,
			  RangeVarGetRelidCallback callback)
{
	Oid			relid;

	relid = RangeVarGetRelidExtended(rv, lockmode, missing_ok ? RVR_MISSING_OK : 0,
									 callback, NULL);
	qualify_relation(rv, relid);
	return relid;
}

/* The same for the relation an ALTER TABLE alters, with its lock level */
static Oid
lookup_altered(AlterTableStmt *stmt)
{
	Oid			relid = AlterTableLookupRelation(stmt, AlterTableGetLockLevel(stmt->cmds));

	qualify_relation(stmt->relation, relid);
	return relid;
}

/* Does a utility statement name a relation that lookup_locked() resolves? */
static bool
utility_names_target(Node *parsetree)
{
	switch (nodeTag(parsetree))
	{
		case T_CopyStmt:
			return ((CopyStmt *) parsetree)->is_from &&
				((CopyStmt *) parsetree)->relation != NULL;
		case T_RefreshMatViewStmt:
		case T_IndexStmt:
		case T_AlterTableStmt:
			return true;
		case T_AlterObjectSchemaStmt:
			return ((AlterObjectSchemaStmt *) parsetree)->relation != NULL;
			/* maintenance that grows, below */
		case T_VacuumStmt:
		case T_ClusterStmt:
		case T_ReindexStmt:
			return true;
		default:
			return false;
	}
}

/*
 * The relation a utility statement loads data into, or InvalidOid.
 * For CREATE TABLE AS and friends, which create it, *nspoid and *owner are
 * set instead.  *spcoid is the tablespace written into when it is not the
 * relation's own (CREATE INDEX, SET TABLESPACE) or the relation is new.
 * *move is set for ALTER ... SET TABLESPACE alone, which only moves data.
 * The relation is looked up and locked as the command does it (above).
 */
static Oid
utility_target(Node *parsetree, Oid *nspoid, Oid *owner, Oid *spcoid, bool *move)
{
	*nspoid = InvalidOid;
	*owner = InvalidOid;
	*spcoid = InvalidOid;
	*move = false;

	switch (nodeTag(parsetree))
	{
		case T_CopyStmt:
			{
				CopyStmt   *stmt = (CopyStmt *) parsetree;

				/* as DoCopy(): table_openrv(), no callback */
				if (stmt->is_from && stmt->relation)
					return lookup_locked(stmt->relation, RowExclusiveLock, false, NULL);
				break;
			}
		case T_RefreshMatViewStmt:
			{
				RefreshMatViewStmt *stmt = (RefreshMatViewStmt *) parsetree;

				/* WITH NO DATA empties it */
				if (stmt->skipData)
					break;
				/* as ExecRefreshMatView() */
				return lookup_locked(stmt->relation,
									 stmt->concurrent ? ExclusiveLock : AccessExclusiveLock,
									 false, RangeVarCallbackOwnsTable);
			}
		case T_IndexStmt:
			{
				IndexStmt  *stmt = (IndexStmt *) parsetree;
				Oid			relid;

				/* as ProcessUtilitySlow() */
				relid = lookup_locked(stmt->relation,
									  stmt->concurrent ? ShareUpdateExclusiveLock : ShareLock,
									  false, RangeVarCallbackOwnsRelation);
				/* the index of a temporary table goes to temp_tablespaces */
				if (OidIsValid(relid))
					*spcoid = new_relation_tablespace(stmt->tableSpace,
													  get_rel_persistence(relid));
				return relid;
			}
		case T_AlterTableStmt:
			{
				AlterTableStmt *stmt = (AlterTableStmt *) parsetree;
				RangeVar   *target;
				AlterLoad	load = alter_table_loads(stmt, spcoid, &target);
				Oid			relid;

				if (load == DQ_ALTER_NONE)
					break;
				*move = load == DQ_ALTER_MOVES;
				relid = lookup_altered(stmt);
				if (target == stmt->relation)
					return relid;

				/*
				 * ATTACH PARTITION: the table attached, as
				 * ATExecAttachPartition()
				 */
				return lookup_locked(target, AccessExclusiveLock, false,
									 RangeVarCallbackOwnsRelation);
			}
		case T_ExplainStmt:
			{
				/* EXPLAIN ANALYZE CREATE TABLE AS runs it */
				ExplainStmt *stmt = (ExplainStmt *) parsetree;
				Query	   *query = (Query *) stmt->query;

				if (IsA(query, Query) && query->commandType == CMD_UTILITY &&
					query->utilityStmt != NULL &&
					IsA(query->utilityStmt, CreateTableAsStmt) && explain_analyzes(stmt))
					return utility_target(query->utilityStmt, nspoid, owner, spcoid, move);
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
				{
					*spcoid = new_relation_tablespace(stmt->into->tableSpaceName,
													  RELPERSISTENCE_TEMP);
					break;
				}
				if (rel->schemaname)
					*nspoid = get_namespace_oid(rel->schemaname, true);
				else
					*nspoid = RangeVarGetCreationNamespace(rel);
				*spcoid = new_relation_tablespace(stmt->into->tableSpaceName,
												  rel->relpersistence);
				break;
			}
		default:
			break;
	}
	return InvalidOid;
}

/*
 * CREATE TABLE AS, SELECT INTO and CREATE MATERIALIZED VIEW (also under
 * EXPLAIN ANALYZE) decide where the new relation goes only when they create
 * it, after planning: a function the planner runs can change search_path or
 * default_tablespace in between.  The statement is checked and published
 * before it runs with the targets its names give then, and again when the
 * relation is created (relation_created, from the object access hook), before anything is written into it, with the targets
 * of the relation actually created, which then replace those in the slot.
 *
 * new_relation.active: such a statement runs and has not created its
 * relation yet; new_relation.published: what it published.  REFRESH
 * MATERIALIZED VIEW sets active with charge_only: the relation it creates
 * (its new heap) is only handed over for charging (charge_new_relid).  A
 * utility statement nested in it (run by a function the planner calls) is
 * not it: while one runs, active is off.
 */
static struct
{
	bool		active;
	bool		charge_only;	/* REFRESH: its new heap, for charging only */
	DiskquotaSlotWrite published;
}			new_relation;

static void
relation_created(Oid relid)
{
	Relation	rel;
	DiskquotaSlotWrite write;
	bool		has_triggers;
	int			n;

	if (!new_relation.active)
		return;
	rel = RelationIdGetRelation(relid);
	if (rel == NULL)
		return;
	/* the first table or materialized view created is the statement's */
	if (rel->rd_rel->relkind != RELKIND_RELATION &&
		rel->rd_rel->relkind != RELKIND_MATVIEW)
	{
		RelationClose(rel);
		return;
	}
	new_relation.active = false;
	diskquota_self_charge_set_new_relid(relid);
	if (new_relation.charge_only)
	{
		RelationClose(rel);
		return;
	}
	n = add_write(rel, &write, 0, &has_triggers);
	RelationClose(rel);
	if (n == 0)
		return;
	if (checks_due())
		check_targets(write.nspoid, write.owner, write.spcoid);
	diskquota_slot_replace_write(&new_relation.published, &write);
}

/*
 * Moves of existing data into a target: ALTER TABLE / MATERIALIZED VIEW
 * ... SET SCHEMA into a schema, OWNER TO (by someone who is not a
 * superuser) or REASSIGN OWNED (each relation the roles own in the
 * database) to a role, and ALTER ... SET TABLESPACE (also ALL IN
 * TABLESPACE: each relation PostgreSQL moves) into the quotas of the
 * relation's schema and owner in the tablespace it moves to.  A move is
 * refused when a quota of the target it moves to is reached, or would be
 * by the move: the published usage, plus what this backend moved into the
 * target since (moved_bytes), plus the size of what moves (the relation
 * with its TOAST and indexes, in each tablespace of their files; for SET
 * TABLESPACE, the files that move) over the quota.
 * Sequences and relations without storage move nothing diskquota counts.
 *
 * moved_bytes: what this backend's moves added to each target, in
 * TopMemoryContext.  The moves of the open transaction (epoch 0) count
 * until it ends; those of a transaction that committed (or prepared) are
 * kept with the worker's epoch at that time until a refresh that started
 * after it completed (two epochs later), when the published usage has them.
 * Moves other sessions committed since the worker's last refresh are not
 * seen: each of them can move at most what the target had left then.
 */
typedef struct MovedBytes
{
	DiskquotaTarget target;
	int64		bytes;
	uint64		epoch;			/* 0: the open transaction */
} MovedBytes;

static List *moved_bytes = NIL;

/* What this backend moved into a target that the published usage lacks */
static int64
moved_into(const DiskquotaTarget *target)
{
	int64		bytes = 0;
	uint64		epoch = 0;
	bool		epoch_read = false;
	bool		running;
	ListCell   *lc;

	foreach(lc, moved_bytes)
	{
		MovedBytes *moved = (MovedBytes *) lfirst(lc);

		if (moved->epoch != 0)
		{
			if (!epoch_read)
			{
				epoch = diskquota_current_epoch(MyDatabaseId, &running);
				epoch_read = true;
			}
			if (epoch >= moved->epoch + 2)
			{
				moved_bytes = foreach_delete_current(moved_bytes, lc);
				pfree(moved);
				continue;
			}
		}
		if (memcmp(&moved->target, target, sizeof(DiskquotaTarget)) == 0)
			bytes += moved->bytes;
	}
	return bytes;
}

static void
add_moved(const DiskquotaTarget *target, int64 bytes)
{
	MovedBytes *moved;
	MemoryContext oldcontext;
	ListCell   *lc;

	foreach(lc, moved_bytes)
	{
		moved = (MovedBytes *) lfirst(lc);
		if (moved->epoch == 0 &&
			memcmp(&moved->target, target, sizeof(DiskquotaTarget)) == 0)
		{
			moved->bytes += bytes;
			return;
		}
	}
	oldcontext = MemoryContextSwitchTo(TopMemoryContext);
	moved = palloc0(sizeof(MovedBytes));
	moved->target = *target;
	moved->bytes = bytes;
	moved_bytes = lappend(moved_bytes, moved);
	MemoryContextSwitchTo(oldcontext);
}

/* At transaction end: keep the moves that committed, forget the others */
static void
end_moves(bool committed)
{
	uint64		epoch = 0;
	bool		running;
	ListCell   *lc;

	if (moved_bytes == NIL)
		return;
	if (committed)
		epoch = Max(diskquota_current_epoch(MyDatabaseId, &running), 1);
	foreach(lc, moved_bytes)
	{
		MovedBytes *moved = (MovedBytes *) lfirst(lc);

		if (moved->epoch != 0)
			continue;
		if (committed)
			moved->epoch = epoch;
		else
		{
			moved_bytes = foreach_delete_current(moved_bytes, lc);
			pfree(moved);
		}
	}
}

/*
 * Refuse if target already uses at least its quota, or would with bytes
 * more; else count the bytes as moved into it.
 */
static void
check_move_target(DiskquotaQuotaType type, Oid oid, Oid spcoid, int64 bytes)
{
	DiskquotaTarget target;
	int64		quota;
	int64		used;

	memset(&target, 0, sizeof(target));
	target.type = type;
	target.oid = oid;
	target.spcoid = spcoid;
	if (!diskquota_target_usage(MyDatabaseId, &target, &quota, &used) || quota < 0)
		return;
	used += moved_into(&target);
	if ((used >= quota || used + bytes > quota) && !diskquota_paused())
		diskquota_report_rejected(&target, DQ_REFUSAL_DENIED);
	if (bytes > 0)
		add_moved(&target, bytes);
}

#define DQ_MAX_MOVE_SPCS 8

/*
 * Refuse to move a relation (locked by the caller) into schema nspoid or
 * to role owner (the other InvalidOid).
 */
static void
check_move(Oid relid, Oid nspoid, Oid owner)
{
	Relation	rel = RelationIdGetRelation(relid);
	Oid			spcs[DQ_MAX_MOVE_SPCS];
	int64		bytes[DQ_MAX_MOVE_SPCS];
	int			nspcs = 0;
	int64		total;
	List	   *indexes;
	ListCell   *lc;
	int			i;

	if (rel == NULL)
		return;
	if ((rel->rd_rel->relkind != RELKIND_RELATION &&
		 rel->rd_rel->relkind != RELKIND_MATVIEW) ||
		(OidIsValid(nspoid) && rel->rd_rel->relpersistence == RELPERSISTENCE_TEMP))
	{
		RelationClose(rel);
		return;
	}
	/* what moves, by tablespace: the table with its TOAST, each index */
	total = diskquota_relation_size(relid);
	spcs[0] = rel->rd_node.spcNode;
	bytes[0] = total;
	nspcs = 1;
	indexes = RelationGetIndexList(rel);
	RelationClose(rel);
	foreach(lc, indexes)
	{
		Oid			spcoid = diskquota_relation_tablespace(get_rel_tablespace(lfirst_oid(lc)));
		int64		size;

		if (spcoid == spcs[0])
			continue;
		size = diskquota_relation_size(lfirst_oid(lc));
		bytes[0] -= size;
		for (i = 0; i < nspcs; i++)
		{
			if (spcs[i] == spcoid)
				break;
		}
		if (i == nspcs)
		{
			if (nspcs == DQ_MAX_MOVE_SPCS)
			{
				/* more tablespaces than counted: charge the last one */
				bytes[nspcs - 1] += size;
				continue;
			}
			spcs[nspcs] = spcoid;
			bytes[nspcs++] = 0;
		}
		bytes[i] += size;
	}
	list_free(indexes);

	if (OidIsValid(nspoid))
		check_move_target(DQ_SCHEMA_QUOTA, nspoid, InvalidOid, total);
	else
		check_move_target(DQ_ROLE_QUOTA, owner, InvalidOid, total);
	for (i = 0; i < nspcs; i++)
	{
		if (OidIsValid(nspoid))
			check_move_target(DQ_SCHEMA_TABLESPACE_QUOTA, nspoid, spcs[i], bytes[i]);
		else
			check_move_target(DQ_ROLE_TABLESPACE_QUOTA, owner, spcs[i], bytes[i]);
	}
}

/* The owner of a relation, InvalidOid if it is gone */
static Oid
relation_owner(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		return InvalidOid;
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/*
 * Move a relation (index, table or materialized view, locked by the
 * caller) into tablespace spcoid: its files there (a table's heap and
 * TOAST, not its indexes) are charged to its schema and owner in spcoid.
 */
static void
check_tablespace_move(Oid relid, Oid spcoid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Form_pg_class form;
	Oid			nspoid;
	Oid			owner;
	char		relkind;
	int64		bytes;

	if (!HeapTupleIsValid(tuple))
		return;
	form = (Form_pg_class) GETSTRUCT(tuple);
	relkind = form->relkind;
	nspoid = form->relpersistence == RELPERSISTENCE_TEMP ? InvalidOid : form->relnamespace;
	owner = form->relowner;
	if (diskquota_relation_tablespace(form->reltablespace) == spcoid ||
		(relkind != RELKIND_RELATION && relkind != RELKIND_MATVIEW &&
		 relkind != RELKIND_INDEX))
	{
		ReleaseSysCache(tuple);
		return;
	}
	ReleaseSysCache(tuple);
	bytes = diskquota_relation_size(relid);
	if (relkind != RELKIND_INDEX)
	{
		Relation	rel = RelationIdGetRelation(relid);
		List	   *indexes;
		ListCell   *lc;

		if (rel == NULL)
			return;
		indexes = RelationGetIndexList(rel);
		RelationClose(rel);
		foreach(lc, indexes)
			bytes -= diskquota_relation_size(lfirst_oid(lc));
		list_free(indexes);
	}
	if (OidIsValid(nspoid))
		check_move_target(DQ_SCHEMA_TABLESPACE_QUOTA, nspoid, spcoid, Max(bytes, 0));
	check_move_target(DQ_ROLE_TABLESPACE_QUOTA, owner, spcoid, Max(bytes, 0));
}

/* The tables and materialized views of this database the roles own */
static List *
owned_relations(List *roles)
{
	Relation	pg_class = table_open(RelationRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(pg_class, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	List	   *relids = NIL;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tuple);

		if ((form->relkind == RELKIND_RELATION || form->relkind == RELKIND_MATVIEW) &&
			!form->relisshared && list_member_oid(roles, form->relowner))
			relids = lappend_oid(relids, form->oid);
	}
	systable_endscan(scan);
	table_close(pg_class, AccessShareLock);
	return relids;
}

/*
 * The relations ALTER ... ALL IN TABLESPACE orig ... SET TABLESPACE moves,
 * selected as AlterTableMoveAll() selects them (a relation in the
 * database's default tablespace is included when orig is it: fail closed).
 */
static List *
relations_moved_all(ObjectType objtype, Oid orig, List *roles)
{
	Relation	pg_class = table_open(RelationRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(pg_class, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	List	   *relids = NIL;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tuple);

		if (diskquota_relation_tablespace(form->reltablespace) != orig ||
			form->relisshared ||
			(objtype == OBJECT_TABLE && form->relkind != RELKIND_RELATION) ||
			(objtype == OBJECT_INDEX && form->relkind != RELKIND_INDEX) ||
			(objtype == OBJECT_MATVIEW && form->relkind != RELKIND_MATVIEW) ||
			(roles != NIL && !list_member_oid(roles, form->relowner)) ||
			IsCatalogNamespace(form->relnamespace) ||
			IsToastNamespace(form->relnamespace) ||
			isAnyTempNamespace(form->relnamespace) ||
			!pg_class_ownercheck(form->oid, GetUserId()))
			continue;
		relids = lappend_oid(relids, form->oid);
	}
	systable_endscan(scan);
	table_close(pg_class, AccessShareLock);
	return relids;
}

/* Check the moves a utility statement makes; see above. */
static void
check_moves(Node *parsetree)
{
	switch (nodeTag(parsetree))
	{
		case T_AlterObjectSchemaStmt:
			{
				AlterObjectSchemaStmt *stmt = (AlterObjectSchemaStmt *) parsetree;
				Oid			nspoid;
				Oid			relid;

				if (stmt->relation == NULL ||
					(stmt->objectType != OBJECT_TABLE && stmt->objectType != OBJECT_MATVIEW))
					break;
				nspoid = get_namespace_oid(stmt->newschema, true);
				if (!OidIsValid(nspoid))
					break;
				/* as AlterTableNamespace(), ownership checked before locking */
				relid = lookup_locked(stmt->relation, AccessExclusiveLock,
									  stmt->missing_ok, RangeVarCallbackOwnsRelation);

				/*
				 * Without CREATE on the schema, LookupCreationNamespace()
				 * refuses it next (see "Statements refused for privileges")
				 */
				if (OidIsValid(relid) && get_rel_namespace(relid) != nspoid &&
					pg_namespace_aclcheck(nspoid, GetUserId(), ACL_CREATE) == ACLCHECK_OK)
					check_move(relid, nspoid, InvalidOid);
				break;
			}
		case T_AlterTableStmt:
			{
				AlterTableStmt *stmt = (AlterTableStmt *) parsetree;
				Oid			relid = InvalidOid;
				ListCell   *lc;

				if (superuser())
					break;
				foreach(lc, stmt->cmds)
				{
					AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
					Oid			owner;

					if (cmd->subtype != AT_ChangeOwner)
						continue;
					if (!OidIsValid(relid))
						relid = lookup_altered(stmt);
					if (!OidIsValid(relid))
						break;
					owner = get_rolespec_oid(cmd->newowner, false);
					/* else ATExecChangeOwner() refuses it next */
					if (owner != relation_owner(relid) &&
						is_member_of_role(GetUserId(), owner))
						check_move(relid, InvalidOid, owner);
				}
				break;
			}
		case T_ReassignOwnedStmt:
			{
				ReassignOwnedStmt *stmt = (ReassignOwnedStmt *) parsetree;
				Oid			owner;
				List	   *roles = NIL;
				ListCell   *lc;

				if (superuser())
					break;
				owner = get_rolespec_oid(stmt->newrole, false);
				/* else ReassignOwnedObjects() refuses it next */
				if (!has_privs_of_role(GetUserId(), owner))
					break;
				foreach(lc, stmt->roles)
				{
					roles = lappend_oid(roles, get_rolespec_oid(lfirst(lc), false));
					if (!has_privs_of_role(GetUserId(), llast_oid(roles)))
						break;
				}
				if (list_length(roles) < list_length(stmt->roles))
					break;
				/* each relation the roles own here moves, summed up */
				foreach(lc, owned_relations(roles))
					check_move(lfirst_oid(lc), InvalidOid, owner);
				break;
			}
		case T_AlterTableMoveAllStmt:
			{
				AlterTableMoveAllStmt *stmt = (AlterTableMoveAllStmt *) parsetree;
				Oid			orig = get_tablespace_oid(stmt->orig_tablespacename, true);
				Oid			spcoid = get_tablespace_oid(stmt->new_tablespacename, true);
				List	   *roles = NIL;
				ListCell   *lc;

				if (!OidIsValid(orig) || !OidIsValid(spcoid) || orig == spcoid)
					break;
				foreach(lc, stmt->roles)
					roles = lappend_oid(roles, get_rolespec_oid(lfirst(lc), false));
				foreach(lc, relations_moved_all(stmt->objtype, orig, roles))
					check_tablespace_move(lfirst_oid(lc), spcoid);
				break;
			}
		default:
			break;
	}
}

/*
 * Catalog writes.  Over a database quota, a utility statement that may add
 * to the catalogs (creates or alters an object, comments, grants) is
 * refused with the database's quota error.  An allowlist (fail closed): the
 * statements below add nothing there, or what they run is checked where it
 * runs (executor statements by the executor hooks, the statements of CALL
 * and DO by this hook), or they only drop or free.  A statement that
 * rewrites catalog rows of the database without dropping anything (GRANT
 * and REVOKE on its objects, ALTER DEFAULT PRIVILEGES, REASSIGN OWNED,
 * ALTER TABLE ... DISABLE TRIGGER or RESET) is refused: repeated, each
 * leaves dead row versions, without end while a snapshot holds them.
 * GRANT and REVOKE of roles, and on databases and tablespaces, write only
 * shared catalogs and stay allowed.  Subcommands of an
 * allowed statement are not looked at again.  Schema and role quotas cannot
 * see catalog rows: they belong to no tenant's schema.
 */

/*
 * Does an ALTER TABLE only drop or detach?  Disabling a trigger, a rule or
 * row security and resetting options rewrite catalog rows (pg_trigger,
 * pg_rewrite, pg_class, pg_attribute), some of them even when nothing
 * changes, so they could be repeated to add dead row versions without end
 * (attack round 3, R5): refused.  The subcommands below fail, or change
 * nothing, when repeated, and what they undo cannot be redone over the
 * quota.
 */
static bool
alter_table_only_drops(AlterTableStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->cmds)
	{
		switch (lfirst_node(AlterTableCmd, lc)->subtype)
		{
			case AT_DropNotNull:
			case AT_DropExpression:
			case AT_DropColumn:
			case AT_DropColumnRecurse:
			case AT_DropConstraint:
			case AT_DropConstraintRecurse:
			case AT_DropCluster:
			case AT_DropInherit:
			case AT_DropOf:
			case AT_DetachPartition:
			case AT_DetachPartitionFinalize:
			case AT_DropIdentity:
				break;
			default:
				return false;
		}
	}
	return true;
}

/* Is an object of this type described in shared catalogs only? */
static bool
shared_object_type(ObjectType objtype)
{
	return objtype == OBJECT_ROLE || objtype == OBJECT_DATABASE ||
		objtype == OBJECT_TABLESPACE;
}

static bool
catalog_write_allowed(Node *parsetree)
{
	switch (nodeTag(parsetree))
	{
			/* transaction control, settings, notifications, cursors */
		case T_TransactionStmt:
		case T_VariableSetStmt:
		case T_VariableShowStmt:
		case T_DiscardStmt:
		case T_ListenStmt:
		case T_UnlistenStmt:
		case T_NotifyStmt:
		case T_DeclareCursorStmt:
		case T_ClosePortalStmt:
		case T_FetchStmt:
		case T_ConstraintsSetStmt:
		case T_LockStmt:
		case T_CheckPointStmt:
		case T_LoadStmt:
		case T_AlterSystemStmt:
			/* what they run is checked where it runs */
		case T_PrepareStmt:
		case T_ExecuteStmt:
		case T_DeallocateStmt:
		case T_CallStmt:
		case T_DoStmt:
		case T_CopyStmt:
		case T_RefreshMatViewStmt:
			/* write only shared catalogs, which no quota counts */
		case T_CreateRoleStmt:
		case T_AlterRoleStmt:
		case T_AlterRoleSetStmt:
		case T_GrantRoleStmt:
		case T_CreatedbStmt:
		case T_AlterDatabaseStmt:
		case T_AlterDatabaseSetStmt:
		case T_AlterDatabaseRefreshCollStmt:
		case T_CreateTableSpaceStmt:
		case T_AlterTableSpaceOptionsStmt:
			/* drop or free */
		case T_DropStmt:
		case T_TruncateStmt:
		case T_ClusterStmt:
		case T_ReindexStmt:
		case T_DropOwnedStmt:
		case T_DropRoleStmt:
		case T_DropdbStmt:
		case T_DropTableSpaceStmt:
		case T_DropSubscriptionStmt:
		case T_DropUserMappingStmt:
			return true;
		case T_ExplainStmt:
			{
				/* EXPLAIN ANALYZE CREATE TABLE AS creates a relation */
				ExplainStmt *stmt = (ExplainStmt *) parsetree;
				Query	   *query = (Query *) stmt->query;

				return !(IsA(query, Query) && query->commandType == CMD_UTILITY &&
						 query->utilityStmt != NULL &&
						 IsA(query->utilityStmt, CreateTableAsStmt) &&
						 explain_analyzes(stmt));
			}
		case T_VacuumStmt:
			{
				/*
				 * VACUUM frees; ANALYZE writes statistics of any size
				 * (pg_statistic, pg_statistic_ext_data)
				 */
				VacuumStmt *stmt = (VacuumStmt *) parsetree;

				return stmt->is_vacuumcmd && !option_set(stmt->options, "analyze");
			}
		case T_RenameStmt:
			/* of a shared object: only shared catalogs */
			return shared_object_type(((RenameStmt *) parsetree)->renameType);
		case T_CommentStmt:

			/*
			 * IS NULL and IS '' delete the comment; pg_shdescription is
			 * shared
			 */
			return ((CommentStmt *) parsetree)->comment == NULL ||
				((CommentStmt *) parsetree)->comment[0] == '\0' ||
				shared_object_type(((CommentStmt *) parsetree)->objtype);
		case T_SecLabelStmt:
			return ((SecLabelStmt *) parsetree)->label == NULL ||
				shared_object_type(((SecLabelStmt *) parsetree)->objtype);
		case T_GrantStmt:

			/*
			 * GRANT and REVOKE rewrite the ACL of every object named, even
			 * when nothing changes: repeated, they add dead row versions
			 * without end.  On databases and tablespaces they write only
			 * shared catalogs.
			 */
			return shared_object_type(((GrantStmt *) parsetree)->objtype);
		case T_AlterOwnerStmt:
			return shared_object_type(((AlterOwnerStmt *) parsetree)->objectType);
		case T_AlterTableStmt:
			return alter_table_only_drops((AlterTableStmt *) parsetree);
		case T_AlterExtensionStmt:
			/* diskquota's own update must stay possible */
			return strcmp(((AlterExtensionStmt *) parsetree)->extname,
						  DISKQUOTA_EXTENSION_NAME) == 0;
		default:
			return false;
	}
}

static void
check_catalog_write(Node *parsetree)
{
	DiskquotaTarget target;

	if (!catalog_write_allowed(parsetree) &&
		diskquota_refused_target(MyDatabaseId, InvalidOid, InvalidOid, InvalidOid,
								 false, &target) &&
		!diskquota_paused())
		diskquota_report_rejected(&target, DQ_REFUSAL_DENIED);
}

/*
 * Maintenance that grows.  VACUUM FULL, CLUSTER and REINDEX rewrite a
 * relation or rebuild its indexes: they normally free space and are never
 * refused, but a tenant can make them grow (a low fillfactor, large missing
 * values that a rewrite materializes, an expression index whose function
 * now returns larger keys).  The rule: a rewrite may use transient double
 * space, but its result may not take a target past its quota.  So every
 * relation the statement processes that is charged to a target with a
 * quota (its schema, its owner, either in the tablespace of its files, the
 * database) is recorded with its total size (heap, TOAST, indexes) before
 * the statement runs, and the transaction that rewrote it may not commit
 * if the relation then outgrew its budget: its old size plus what its
 * tightest target had left when the statement started (nothing for a
 * target at or over its quota), less what the relations checked before it
 * in the statement grew, plus a few pages of slack for the metapages and
 * forks a fresh build adds.  It fails with that target's quota error, and
 * its new files are removed.  VACUUM FULL, and CLUSTER or REINDEX of many
 * relations, commit once per relation: each commit checks the relations
 * whose files that transaction changed (seen by a relation cache
 * invalidation callback), not every one recorded.  Like PostgreSQL's own
 * VACUUM of a list, a statement that fails there leaves the relations after
 * it unprocessed.  While the statement runs, it is also watched as a
 * writing statement that writes nothing, with a budget in its slot (the
 * largest budget recorded, with its target): the worker stops it as soon
 * as its new files charged to the target outgrow it
 * (diskquota_slot_set_maintenance).  The new heap of a rewrite is published
 * as it is created; rebuilt index files only at the end of the statement,
 * so an index rebuild that grows is caught by the check at commit.
 * REINDEX CONCURRENTLY keeps the old and the new index committed side by
 * side: it is refused outright on a relation of a rejected target.
 *
 * The relations recorded are those the statement processes: the one it
 * names (resolved with the command's lock and qualified, as lookup_locked
 * does, so that the relation recorded is the one processed), the
 * partitions of a partitioned one, the relations of the schema of REINDEX
 * SCHEMA, every relation of the database for VACUUM FULL, CLUSTER and
 * REINDEX DATABASE without a name (one pass over pg_class).
 *
 * maintained: the recorded relations by relid, in TopMemoryContext; kept
 * across the commits of a statement that runs its own transactions
 * (maintenance_own_xacts), else dropped when the transaction ends.
 */
typedef struct MaintainedRelation
{
	Oid			relid;			/* hash key */
	int64		bytes;			/* size before the statement */
	int64		headroom;		/* what its tightest target had left, >= 0 */
	DiskquotaTarget target;		/* that target */
} MaintainedRelation;

#define DQ_MAINTENANCE_SLACK	(4 * BLCKSZ)
#define DQ_MAX_TOUCHED			64

static HTAB *maintained = NULL;
static bool maintenance_own_xacts = false;
static bool maintenance_callback_registered = false;

/* growth granted so far in the statement, taken from every headroom */
static int64 maintenance_grown = 0;

/* relations whose relation cache entry was invalidated in this transaction */
static Oid	touched[DQ_MAX_TOUCHED];
static int	ntouched = 0;
static bool touched_overflow = false;

static void
forget_maintained(void)
{
	if (maintained != NULL)
		hash_destroy(maintained);
	maintained = NULL;
	maintenance_grown = 0;
	ntouched = 0;
	touched_overflow = false;
}

/* Relation cache invalidation: note which relations a transaction changes */
static void
maintenance_relcache_callback(Datum arg, Oid relid)
{
	int			i;

	if (maintained == NULL || touched_overflow)
		return;
	if (!OidIsValid(relid))
	{
		touched_overflow = true;
		return;
	}
	for (i = 0; i < ntouched; i++)
	{
		if (touched[i] == relid)
			return;
	}
	if (ntouched == DQ_MAX_TOUCHED)
		touched_overflow = true;
	else
		touched[ntouched++] = relid;
}

/*
 * What the tightest target with a quota of a relation (schema nspoid, or
 * InvalidOid if temporary; owner; tablespace spcoid) has left, as
 * published: false if none has a quota.  At or over quota: 0.
 */
static bool
relation_headroom(Oid nspoid, Oid owner, Oid spcoid, int64 *headroom,
				  DiskquotaTarget *tightest)
{
	DiskquotaTarget targets[5];
	int			n = diskquota_targets_of_files(MyDatabaseId, nspoid, owner, spcoid,
											   targets);
	int			i;
	bool		found = false;

	for (i = 0; i < n; i++)
	{
		int64		quota;
		int64		used;

		if (!diskquota_target_usage(MyDatabaseId, &targets[i], &quota, &used) ||
			quota < 0)
			continue;
		if (!found || quota - used < *headroom)
		{
			*headroom = quota - used;
			*tightest = targets[i];
		}
		found = true;
	}
	if (found && *headroom < 0)
		*headroom = 0;
	return found;
}

/* Record a relation of pg_class (a table or materialized view) if it has a quota */
static void
record_form(Form_pg_class form)
{
	MaintainedRelation *entry;
	int64		headroom = 0;
	DiskquotaTarget target;
	bool		found;

	if ((form->relkind != RELKIND_RELATION && form->relkind != RELKIND_MATVIEW) ||
		form->relisshared ||
		!relation_headroom(form->relpersistence == RELPERSISTENCE_TEMP ?
						   InvalidOid : form->relnamespace,
						   form->relowner,
						   diskquota_relation_tablespace(form->reltablespace),
						   &headroom, &target))
		return;
	if (maintained == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(MaintainedRelation);
		ctl.hcxt = TopMemoryContext;
		maintained = hash_create("diskquota maintained relations", 64, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	entry = hash_search(maintained, &form->oid, HASH_ENTER, &found);
	if (found)
		return;
	entry->bytes = diskquota_relation_size(form->oid);
	entry->headroom = headroom;
	entry->target = target;
}

/* Record a relation by OID (each partition below a partitioned table) */
static void
record_maintained(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	ListCell   *lc;

	if (!HeapTupleIsValid(tuple))
		return;
	if (((Form_pg_class) GETSTRUCT(tuple))->relkind == RELKIND_PARTITIONED_TABLE)
	{
		ReleaseSysCache(tuple);
		foreach(lc, find_all_inheritors(relid, NoLock, NULL))
		{
			if (lfirst_oid(lc) != relid)
				record_maintained(lfirst_oid(lc));
		}
		return;
	}
	record_form((Form_pg_class) GETSTRUCT(tuple));
	ReleaseSysCache(tuple);
}

/* Record every table of the database (of schema nspoid if valid): one pass */
static void
record_all_maintained(Oid nspoid)
{
	Relation	pg_class = table_open(RelationRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(pg_class, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tuple);

		if (!OidIsValid(nspoid) || form->relnamespace == nspoid)
			record_form(form);
	}
	systable_endscan(scan);
	table_close(pg_class, AccessShareLock);
}

/* The last value of a boolean option, as the command reads it */
static bool
option_set(List *options, const char *name)
{
	bool		result = false;
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *opt = (DefElem *) lfirst(lc);

		if (strcmp(opt->defname, name) == 0)
			result = defGetBoolean(opt);
	}
	return result;
}

/*
 * REINDEX INDEX locks the table before the index, and checks that the
 * user owns the index: as RangeVarCallbackForReindexIndex (indexcmds.c),
 * whose lock on the table we keep.
 */
static void
reindex_index_callback(const RangeVar *relation, Oid relId, Oid oldRelId,
					   void *arg)
{
	LOCKMODE	table_lockmode = *(LOCKMODE *) arg;
	Oid			table;

	if (relId == oldRelId)
		return;
	if (!OidIsValid(relId))
		return;
	if (get_rel_relkind(relId) != RELKIND_INDEX &&
		get_rel_relkind(relId) != RELKIND_PARTITIONED_INDEX)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an index", relation->relname)));
	if (!pg_class_ownercheck(relId, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_INDEX, relation->relname);
	table = IndexGetRelation(relId, true);
	if (OidIsValid(table))
		LockRelationOid(table, table_lockmode);
}

/*
 * Before a maintenance statement runs: record what it may grow, and
 * whether it runs its own transactions.  True if it is to be watched while
 * it runs: *budget is then the largest budget recorded (old size plus
 * headroom plus the slack) and *target its target.
 */
static bool
begin_maintenance(Node *parsetree, int64 *budget, DiskquotaTarget *target)
{
	bool		own_xacts = false;
	bool		concurrently = false;
	HASH_SEQ_STATUS status;
	MaintainedRelation *entry;
	bool		first;
	bool		privileged = true;	/* as PostgreSQL checks it after */

	switch (nodeTag(parsetree))
	{
		case T_VacuumStmt:
			{
				VacuumStmt *stmt = (VacuumStmt *) parsetree;
				ListCell   *lc;

				if (!stmt->is_vacuumcmd || !option_set(stmt->options, "full"))
					return false;
				own_xacts = true;
				if (stmt->rels == NIL)
					record_all_maintained(InvalidOid);
				foreach(lc, stmt->rels)
				{
					VacuumRelation *vrel = lfirst_node(VacuumRelation, lc);
					Oid			relid = vrel->oid;

					/* as expand_vacuum_rel(), which keeps the OID it found */
					if (!OidIsValid(relid) && vrel->relation)
						relid = lookup_locked(vrel->relation, AccessShareLock, true, NULL);
					if (OidIsValid(relid))
						record_maintained(relid);
				}
				break;
			}
		case T_ClusterStmt:
			{
				ClusterStmt *stmt = (ClusterStmt *) parsetree;
				Oid			relid;

				if (stmt->relation == NULL)
				{
					own_xacts = true;
					record_all_maintained(InvalidOid);
					break;
				}
				/* as cluster() */
				relid = lookup_locked(stmt->relation, AccessExclusiveLock, false,
									  RangeVarCallbackOwnsTable);
				if (OidIsValid(relid))
				{
					/* a partitioned table's partitions: one transaction each */
					own_xacts = get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE;
					record_maintained(relid);
				}
				break;
			}
		case T_ReindexStmt:
			{
				ReindexStmt *stmt = (ReindexStmt *) parsetree;
				Oid			relid = InvalidOid;

				concurrently = option_set(stmt->params, "concurrently");
				if (stmt->kind == REINDEX_OBJECT_INDEX && stmt->relation)
				{
					/* as ReindexIndex() */
					LOCKMODE	lockmode = concurrently ? ShareUpdateExclusiveLock : ShareLock;

					relid = RangeVarGetRelidExtended(stmt->relation,
													 concurrently ? ShareUpdateExclusiveLock :
													 AccessExclusiveLock, 0,
													 reindex_index_callback, &lockmode);
					qualify_relation(stmt->relation, relid);
					if (OidIsValid(relid))
						relid = IndexGetRelation(relid, true);
				}
				else if (stmt->kind == REINDEX_OBJECT_TABLE && stmt->relation)
				{
					/* as ReindexTable() */
					relid = lookup_locked(stmt->relation,
										  concurrently ? ShareUpdateExclusiveLock : ShareLock,
										  false, RangeVarCallbackOwnsTable);
				}
				else if (stmt->kind == REINDEX_OBJECT_SCHEMA)
				{
					Oid			nspoid = get_namespace_oid(stmt->name, true);

					own_xacts = true;
					if (OidIsValid(nspoid))
						record_all_maintained(nspoid);
					/* as ReindexMultipleTables() */
					privileged = OidIsValid(nspoid) &&
						pg_namespace_ownercheck(nspoid, GetUserId());
					break;
				}
				else if (stmt->kind == REINDEX_OBJECT_DATABASE)
				{
					own_xacts = true;
					record_all_maintained(InvalidOid);
					/* as ReindexMultipleTables() */
					privileged = pg_database_ownercheck(MyDatabaseId, GetUserId()) &&
						(stmt->name == NULL ||
						 strcmp(stmt->name, get_database_name(MyDatabaseId)) == 0);
					break;
				}
				else
					break;		/* REINDEX SYSTEM: the catalogs */
				if (!OidIsValid(relid))
					break;
				own_xacts = concurrently ||
					get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE;
				record_maintained(relid);
				break;
			}
		default:
			return false;
	}
	if (maintained == NULL)
		return false;
	if (hash_get_num_entries(maintained) == 0)
	{
		forget_maintained();
		return false;
	}
	/* else ReindexMultipleTables() refuses it next */
	if (concurrently && privileged && !diskquota_paused())
	{
		/* the old and the new index side by side: not in a rejected target */
		hash_seq_init(&status, maintained);
		while ((entry = hash_seq_search(&status)) != NULL)
		{
			if (entry->headroom <= 0)
			{
				DiskquotaTarget rejected = entry->target;

				hash_seq_term(&status);
				forget_maintained();
				diskquota_report_rejected(&rejected, DQ_REFUSAL_DENIED);
			}
		}
	}
	if (own_xacts)
		maintenance_own_xacts = true;
	if (!maintenance_callback_registered)
	{
		RegisterXactCallback(maintenance_xact_callback, NULL);
		CacheRegisterRelcacheCallback(maintenance_relcache_callback, (Datum) 0);
		maintenance_callback_registered = true;
	}
	*budget = 0;
	first = true;
	hash_seq_init(&status, maintained);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (first || entry->bytes + entry->headroom > *budget)
		{
			*budget = entry->bytes + entry->headroom;
			*target = entry->target;
		}
		first = false;
	}
	*budget += DQ_MAINTENANCE_SLACK;
	return true;
}

/* After a maintenance statement that ran its own transactions */
static void
end_maintenance(void)
{
	if (!maintenance_own_xacts)
		return;
	maintenance_own_xacts = false;
	forget_maintained();
}

/*
 * Has a recorded relation outgrown its budget?  Its growth is granted
 * otherwise, and taken from the headroom of the relations checked later.
 */
static void
check_maintained(MaintainedRelation *entry)
{
	int64		size;

	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(entry->relid)))
		return;
	size = diskquota_relation_size(entry->relid);
	if (size > entry->bytes + Max(entry->headroom - maintenance_grown, 0) +
		DQ_MAINTENANCE_SLACK)
	{
		DiskquotaTarget target = entry->target;

		maintenance_own_xacts = false;
		forget_maintained();
		diskquota_report_rejected(&target, DQ_REFUSAL_STOPPED);
	}
	if (size > entry->bytes)
		maintenance_grown += size - entry->bytes;
	/* a relation processed twice is charged once */
	entry->bytes = Max(entry->bytes, size);
}

/* Check the recorded relations this transaction changed (or all) */
static void
check_touched(void)
{
	int			i;
	MaintainedRelation *entry;

	if (touched_overflow)
	{
		HASH_SEQ_STATUS status;
		List	   *entries = NIL;
		ListCell   *lc;

		hash_seq_init(&status, maintained);
		while ((entry = hash_seq_search(&status)) != NULL)
			entries = lappend(entries, entry);
		foreach(lc, entries)
			check_maintained((MaintainedRelation *) lfirst(lc));
		list_free(entries);
		return;
	}
	for (i = 0; i < ntouched && maintained != NULL; i++)
	{
		Oid			relid = touched[i];

		entry = hash_search(maintained, &relid, HASH_FIND, NULL);
		if (entry == NULL && get_rel_relkind(relid) == RELKIND_INDEX)
		{
			relid = IndexGetRelation(relid, true);
			if (OidIsValid(relid))
				entry = hash_search(maintained, &relid, HASH_FIND, NULL);
		}
		if (entry != NULL)
			check_maintained(entry);
	}
}

/*
 * Before a transaction commits: a recorded relation it changed may not
 * have outgrown its budget.  When it ends: the records of a statement in
 * it go.
 */
static void
maintenance_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			if (maintained == NULL || diskquota_paused())
				return;
			check_touched();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PREPARE:
			ntouched = 0;
			touched_overflow = false;
			if (!maintenance_own_xacts)
				forget_maintained();
			break;
		case XACT_EVENT_ABORT:
			maintenance_own_xacts = false;
			forget_maintained();
			break;
		default:
			break;
	}
}

/*
 * Relations a utility statement writes besides the one it names, and the
 * tablespaces of the indexes it builds:
 *	- ALTER TABLE without ONLY recurses to the inheritance children of a
 *	  table (in any schema, of any owner), and ALTER TYPE ... CASCADE to the
 *	  tables of the type (OF type) and their children: each is rewritten or
 *	  gets its indexes built like the table named;
 *	- CREATE INDEX on a partitioned table builds an index on every
 *	  partition, in the tablespace given (or the default one);
 *	- ALTER TABLE ... ADD PRIMARY KEY / UNIQUE / EXCLUDE (also in ADD
 *	  COLUMN) builds an index in USING INDEX TABLESPACE or
 *	  default_tablespace, charged to the schema and owner of each table.
 * Each such relation is checked against the targets it is charged to, also
 * in those tablespaces, and added to writes[] (n entries so far), for the
 * slot; returns the new number of entries.  No lock is taken on the
 * children: the command locks them when it processes them, and none can
 * be added meanwhile (that needs a lock on the parent, which we hold).
 */

/* Add a Constraint's index tablespace, if it builds an index */
static List *
constraint_index_space(List *spaces, Constraint *con)
{
	if (con != NULL && IsA(con, Constraint) &&
		(con->contype == CONSTR_PRIMARY || con->contype == CONSTR_UNIQUE ||
		 con->contype == CONSTR_EXCLUSION))
		spaces = lappend(spaces, con->indexspace ? pstrdup(con->indexspace) : NULL);
	return spaces;
}

/* The tablespace names (NULL: the default) of the indexes an ALTER TABLE builds */
static List *
alter_index_spaces(AlterTableStmt *stmt)
{
	List	   *spaces = NIL;
	ListCell   *lc;

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		switch (cmd->subtype)
		{
			case AT_AddConstraint:
			case AT_AddConstraintRecurse:
				spaces = constraint_index_space(spaces, (Constraint *) cmd->def);
				break;
			case AT_AddColumn:
			case AT_AddColumnRecurse:
				if (cmd->def != NULL && IsA(cmd->def, ColumnDef))
				{
					ListCell   *lc2;

					foreach(lc2, ((ColumnDef *) cmd->def)->constraints)
						spaces = constraint_index_space(spaces, (Constraint *) lfirst(lc2));
				}
				break;
			case AT_AddIndex:
				if (cmd->def != NULL && IsA(cmd->def, IndexStmt))
					spaces = lappend(spaces, ((IndexStmt *) cmd->def)->tableSpace);
				break;
			default:
				break;
		}
	}
	return spaces;
}

/* The tables of a composite type (OF type), with their inheritance children */
static List *
typed_tables(Oid typid)
{
	Relation	pg_class;
	SysScanDesc scan;
	HeapTuple	tuple;
	List	   *tables = NIL;
	List	   *result = NIL;
	ListCell   *lc;

	if (!OidIsValid(typid))
		return NIL;
	pg_class = table_open(RelationRelationId, AccessShareLock);
	scan = systable_beginscan(pg_class, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tuple);

		if (form->reloftype == typid)
			tables = lappend_oid(tables, form->oid);
	}
	systable_endscan(scan);
	table_close(pg_class, AccessShareLock);
	foreach(lc, tables)
		result = list_concat_unique_oid(result,
										find_all_inheritors(lfirst_oid(lc), NoLock, NULL));
	return result;
}

/*
 * Check one relation written, also in spaces, and add it to writes[] if
 * publish (a partition needs not be: its partitioned table stands for it)
 */
static int
check_written(Oid relid, Relation rel, List *spaces, bool publish,
			  DiskquotaSlotWrite *writes, int n)
{
	bool		opened = rel == NULL;
	bool		has_triggers;
	Oid			nspoid;
	ListCell   *lc;

	if (opened)
		rel = RelationIdGetRelation(relid);
	if (rel == NULL)
		return n;
	nspoid = rel->rd_rel->relpersistence == RELPERSISTENCE_TEMP ?
		InvalidOid : rel->rd_rel->relnamespace;
	if (checks_due())
	{
		if (opened)
			check_relation(relid, rel);
		foreach(lc, spaces)
			check_targets(nspoid, rel->rd_rel->relowner, lfirst_oid(lc));
	}
	if (opened)
	{
		if (publish)
			n = add_write(rel, writes, n, &has_triggers);
		RelationClose(rel);
	}
	return n;
}

static int
check_utility_extra(Node *parsetree, Relation rel, Oid spcoid,
					DiskquotaSlotWrite *writes, int n)
{
	Oid			relid = RelationGetRelid(rel);
	List	   *children = NIL;
	List	   *spaces = NIL;
	ListCell   *lc;

	switch (nodeTag(parsetree))
	{
		case T_AlterTableStmt:
			{
				AlterTableStmt *stmt = (AlterTableStmt *) parsetree;

				foreach(lc, stmt->cmds)
				{
					/*
					 * the table attached: checked, with its partitions, as it
					 * is
					 */
					if (lfirst_node(AlterTableCmd, lc)->subtype == AT_AttachPartition)
						return n;
				}
				foreach(lc, alter_index_spaces(stmt))
					spaces = lappend_oid(spaces,
										 new_relation_tablespace((char *) lfirst(lc),
																 rel->rd_rel->relpersistence));
				if (stmt->objtype == OBJECT_TYPE)
					children = typed_tables(get_rel_type_id(relid));
				else if (stmt->relation->inh && rel->rd_rel->relhassubclass)
					children = find_all_inheritors(relid, NoLock, NULL);
				break;
			}
		case T_IndexStmt:
			if (OidIsValid(spcoid))
				spaces = list_make1_oid(spcoid);
			if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
				children = find_all_inheritors(relid, NoLock, NULL);
			break;
		default:
			return n;
	}
	n = check_written(relid, rel, spaces, false, writes, n);
	foreach(lc, children)
	{
		if (lfirst_oid(lc) != relid)
			n = check_written(lfirst_oid(lc), NULL, spaces,
							  rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE,
							  writes, n);
	}
	return n;
}

/*
 * Run a utility statement that writes (nwrites, overflow: the
 * DQ_SLOT_*_OVERFLOW bits of what did not fit) or a maintenance statement
 * with a budget (maint_target not NULL, nwrites 0), published and polled.
 */
static void
run_writing_utility(const DiskquotaSlotWrite *write, int nwrites, int overflow, bool creates,
					int64 maint_budget, const DiskquotaTarget *maint_target,
					PlannedStmt *pstmt, const char *queryString,
					bool readOnlyTree, ProcessUtilityContext context,
					ParamListInfo params, QueryEnvironment *queryEnv,
					DestReceiver *dest, QueryCompletion *qc,
					ProcessUtility_hook_type next)
{
	uint64		generation;
	MemoryContext oldcontext = CurrentMemoryContext;
	bool		refresh = IsA(pstmt->utilityStmt, RefreshMatViewStmt) &&
	!((RefreshMatViewStmt *) pstmt->utilityStmt)->skipData;

	/* what a statement this one runs in (its planner's functions) awaits */
	bool		outer_pending = charge_dest_pending;
	volatile bool copies = false;
	volatile bool copy_stopped = false;
	DiskquotaTarget copy_stopped_target;
	Oid			outer_new_relid = diskquota_self_charge_new_relid();

	begin_write_overflow(write, nwrites, overflow);
	generation = write_generation;
	if (maint_target != NULL)
		diskquota_slot_set_maintenance(generation, maint_budget, maint_target);
	new_relation.active = creates || refresh;
	new_relation.charge_only = !creates;
	new_relation.published = *write;
	/* the statement charges what its query writes (see charge_dest_pending) */
	charge_dest_pending = (creates || refresh) && write_running &&
		diskquota_self_charge;
	diskquota_self_charge_set_new_relid(InvalidOid);
	/* COPY FROM charges what it inserts (see copy_tableam, selfcharge.c) */
	if (IsA(pstmt->utilityStmt, CopyStmt) && nwrites > 0 &&
		OidIsValid(write[0].relid) && write_depth == 1 && write_running)
		copies = diskquota_copy_charge_begin(write[0].relid);
	PG_TRY();
	{
		next(pstmt, queryString, readOnlyTree, context, params, queryEnv,
			 dest, qc);
		/* see diskquota_charge_rebuilt_indexes */
		if (refresh && !((RefreshMatViewStmt *) pstmt->utilityStmt)->concurrent &&
			diskquota_self_charge && write_running && nwrites > 0 &&
			OidIsValid(write[0].relid))
			diskquota_charge_rebuilt_indexes(write[0].relid);
	}
	PG_CATCH();
	{
		new_relation.active = false;
		charge_dest_pending = outer_pending;
		diskquota_self_charge_set_new_relid(outer_new_relid);
		/* only the COPY that began charging ends it */
		if (copies)
			diskquota_copy_charge_end(false);
		end_write_error(oldcontext, generation);
	}
	PG_END_TRY();
	new_relation.active = false;
	charge_dest_pending = outer_pending;
	diskquota_self_charge_set_new_relid(outer_new_relid);
	if (copies)
	{
		/*
		 * it stopped itself, and a trigger caught that: see charge_stopped
		 * (selfcharge.c)
		 */
		copy_stopped = diskquota_self_charging() && diskquota_self_charge_stopped() &&
			!diskquota_paused();
		copy_stopped_target = *diskquota_self_charge_stopped_target();
		diskquota_copy_charge_end(true);
	}
	end_write_ok(generation);
	if (copy_stopped)
		diskquota_report_rejected(&copy_stopped_target, DQ_REFUSAL_STOPPED);
}

/*
 * Run a utility statement that writes nothing while a CREATE TABLE AS plans
 * its query: the query that is to charge itself is not this statement's
 * (see charge_dest_pending).
 */
static pg_noinline void
run_beside_pending_dest(PlannedStmt *pstmt, const char *queryString,
						bool readOnlyTree, ProcessUtilityContext context,
						ParamListInfo params, QueryEnvironment *queryEnv,
						DestReceiver *dest, QueryCompletion *qc,
						ProcessUtility_hook_type next)
{
	charge_dest_pending = false;
	PG_TRY();
	{
		next(pstmt, queryString, readOnlyTree, context, params, queryEnv,
			 dest, qc);
	}
	PG_FINALLY();
	{
		charge_dest_pending = true;
	}
	PG_END_TRY();
}

/* Check a utility statement, then run it, published and polled if it loads */
static void
check_and_run_utility(PlannedStmt *pstmt, const char *queryString,
					  bool readOnlyTree, ProcessUtilityContext context,
					  ParamListInfo params, QueryEnvironment *queryEnv,
					  DestReceiver *dest, QueryCompletion *qc,
					  ProcessUtility_hook_type next)
{
	Node	   *parsetree = pstmt->utilityStmt;
	DiskquotaSlotWrite write[DQ_MAX_QUERY_WRITES];
	int			nwrites = 0;
	int			overflow = 0;
	bool		creates = false;
	bool		maintains = false;
	int64		maint_budget = 0;
	DiskquotaTarget maint_target;

	memset(write, 0, sizeof(write));
	writes_left_out = 0;
	if (diskquota_enforcing)
	{
		Oid			nspoid;
		Oid			owner;
		Oid			spcoid;
		bool		move;
		Oid			relid;

		if (context != PROCESS_UTILITY_SUBCOMMAND && diskquota_any_rejected())
			check_catalog_write(parsetree);
		/* the RangeVars are qualified once resolved: on a copy */
		if (readOnlyTree && utility_names_target(parsetree))
		{
			pstmt = copyObject(pstmt);
			parsetree = pstmt->utilityStmt;
			readOnlyTree = false;
		}
		check_moves(parsetree);
		maintains = begin_maintenance(parsetree, &maint_budget, &maint_target);
		relid = utility_target(parsetree, &nspoid, &owner, &spcoid, &move);
		if (OidIsValid(relid) && move)
		{
			/*
			 * A move frees as much as it takes, except in the tablespace it
			 * moves to: only the quotas there can refuse it, before it
			 * starts, with the size it moves; it is not stopped while it
			 * copies, as it copies no more than that.
			 */
			check_tablespace_move(relid, spcoid);
		}
		else if (OidIsValid(relid))
		{
			bool		has_triggers;
			Relation	rel;

			/* locked above as the command locks it */
			rel = RelationIdGetRelation(relid);
			if (rel != NULL)
			{
				/*
				 * A COPY FROM without INSERT on the table or any of its
				 * columns: DoCopy() refuses it next (see "Statements refused
				 * for privileges")
				 */
				if (checks_due() &&
					!(IsA(parsetree, CopyStmt) &&
					  pg_class_aclcheck(relid, GetUserId(), ACL_INSERT) != ACLCHECK_OK &&
					  pg_attribute_aclcheck_all(relid, GetUserId(), ACL_INSERT,
												ACLMASK_ANY) != ACLCHECK_OK))
				{
					check_relation(relid, rel);
					if (OidIsValid(spcoid))
						check_targets(rel->rd_rel->relpersistence == RELPERSISTENCE_TEMP ?
									  InvalidOid : rel->rd_rel->relnamespace,
									  rel->rd_rel->relowner, spcoid);
				}
				nwrites = add_write(rel, write, 0, &has_triggers);
				if (nwrites > 0 && OidIsValid(spcoid))
					write[0].spcoid = spcoid;
				nwrites = check_utility_extra(parsetree, rel, spcoid, write, nwrites);
				overflow = writes_left_out;
				RelationClose(rel);
			}
		}
		else if (OidIsValid(owner))
		{
			/*
			 * CREATE TABLE AS and friends: the relation does not exist yet.
			 * Checked with the targets its names give now, and again when it
			 * is created.  Without CREATE on the schema,
			 * RangeVarGetAndCheckCreationNamespace() refuses it first.
			 */
			if (checks_due() &&
				!(OidIsValid(nspoid) &&
				  pg_namespace_aclcheck(nspoid, GetUserId(), ACL_CREATE) != ACLCHECK_OK))
				check_targets(nspoid, owner, spcoid);
			write[0].relid = InvalidOid;
			write[0].nspoid = nspoid;
			write[0].owner = owner;
			write[0].spcoid = spcoid;
			write[0].temp = !OidIsValid(nspoid);
			nwrites = 1;
			creates = true;
		}
	}
	if (maintains)
	{
		run_writing_utility(write, 0, 0, false, maint_budget, &maint_target,
							pstmt, queryString, readOnlyTree,
							context, params, queryEnv, dest, qc, next);
		end_maintenance();
	}
	else if (nwrites == 0 && charge_dest_pending)
	{
		run_beside_pending_dest(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc, next);
		end_maintenance();
	}
	else if (nwrites == 0)
	{
		next(pstmt, queryString, readOnlyTree, context, params, queryEnv,
			 dest, qc);
		end_maintenance();
	}
	else
		run_writing_utility(write, nwrites, overflow, creates, 0, NULL, pstmt, queryString,
							readOnlyTree, context, params, queryEnv, dest, qc, next);
}

/* Check and run one utility statement */
static void
enforcement_utility(PlannedStmt *pstmt, const char *queryString,
					bool readOnlyTree, ProcessUtilityContext context,
					ParamListInfo params, QueryEnvironment *queryEnv,
					DestReceiver *dest, QueryCompletion *qc,
					ProcessUtility_hook_type next)
{
	if (DiskquotaShared != NULL && IsA(pstmt->utilityStmt, TransactionStmt) &&
		((TransactionStmt *) pstmt->utilityStmt)->kind == TRANS_STMT_COMMIT_PREPARED)
	{
		/* its moves: see diskquota_prepared_committed() */
		TransactionId xid = diskquota_prepared_xid(((TransactionStmt *) pstmt->utilityStmt)->gid);

		check_and_run_utility(pstmt, queryString, readOnlyTree, context,
							  params, queryEnv, dest, qc, next);
		diskquota_prepared_committed(xid);
		return;
	}
	if (new_relation.active)
	{
		/*
		 * Run by a function of a CREATE TABLE AS before it created its
		 * relation: the relations this creates are not the statement's.
		 */
		bool		active = new_relation.active;
		bool		charge_only = new_relation.charge_only;
		DiskquotaSlotWrite published = new_relation.published;

		new_relation.active = false;
		PG_TRY();
		{
			check_and_run_utility(pstmt, queryString, readOnlyTree, context,
								  params, queryEnv, dest, qc, next);
		}
		PG_FINALLY();
		{
			new_relation.active = active;
			new_relation.charge_only = charge_only;
			new_relation.published = published;
		}
		PG_END_TRY();
		return;
	}
	check_and_run_utility(pstmt, queryString, readOnlyTree, context,
						  params, queryEnv, dest, qc, next);
}

/* The ProcessUtility step: next runs the rest of the chain */
void
diskquota_enforcement_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
									 bool readOnlyTree, ProcessUtilityContext context,
									 ParamListInfo params, QueryEnvironment *queryEnv,
									 DestReceiver *dest, QueryCompletion *qc,
									 ProcessUtility_hook_type next)
{
	bool		is_create;

	enforcement_utility(pstmt, queryString, readOnlyTree, context, params,
						queryEnv, dest, qc, next);

	/*
	 * DROP EXTENSION diskquota: its commit clears the database's quotas from
	 * the quota map at once (see diskquota_refresh() for why the worker
	 * cannot publish them again).  A CREATE EXTENSION after it in the same
	 * transaction cancels that: the worker's next refresh replaces them.
	 */
	if (DiskquotaShared != NULL &&
		diskquota_extension_stmt(pstmt->utilityStmt, &is_create))
	{
		clear_quotas_at_commit = !is_create;
		clear_quotas_level = GetCurrentTransactionNestLevel();
	}
}

/*
 * The object_access_hook step: the relation a CREATE TABLE AS creates is
 * checked as soon as it exists, before anything is written into it.
 */
void
diskquota_enforcement_object_access(ObjectAccessType access, Oid classId,
									Oid objectId, int subId, void *arg)
{
	if (access == OAT_POST_CREATE && classId == RelationRelationId &&
		subId == 0 && DiskquotaShared != NULL)
		relation_created(objectId);
}
