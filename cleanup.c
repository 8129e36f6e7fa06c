/*-------------------------------------------------------------------------
 *
 * cleanup.c
 *		The cleanup plan: for one quota target, which of the relations
 *		charged to it to keep under its limit, what the others would free,
 *		and what VACUUM FULL would likely give back.
 *
 * diskquota.cleanup_plan(target_type, target, tablespace) lists the tables
 * and materialized views charged to a target as the worker charges them
 * (quotamodel.c): a schema's relations, a role's (including its temporary
 * tables), only their files in the tablespace for a target in a tablespace,
 * every user relation of the database for the database.  Each is sized by
 * stat() of its files (relfile.c) and decided by the bucket method against
 * the target's soft limit, else its hard limit: in order of priority, high
 * to low, and within a priority smallest first, a relation is kept while
 * the running total of kept bytes stays within the limit; the others are
 * the candidates, each freeing its size if dropped.  So a large important
 * relation that does not fit is a candidate while smaller, less important
 * ones after it may still be kept.  The running total starts at 0: what no
 * listed relation holds (system catalogs, sequences) is not planned.  The
 * space VACUUM FULL would give back is estimated from the cumulative
 * statistics: the heap's main fork times the share of dead tuples.
 *
 * A role may plan its own targets (selfservice.c); the database only its
 * owner and superusers, since the plan lists every tenant's tables.  The
 * plan reads pg_class and pg_index (share locks on those catalogs only),
 * the statistics and the files' sizes: it takes no lock on a user relation
 * and reads none of its data.
 *
 * diskquota.set_relation_priority(relation, priority) sets the priority of
 * a table the caller owns in the table diskquota.relation_priority (absent:
 * 0).  Tenants cannot write that table: the function writes it as the
 * extension's owner, with a statement that names
 * everything qualified under the fixed settings of ownobjects.c.  Rows are
 * keyed by OID: the plan ignores those of dropped relations, and each call
 * deletes them.
 *
 * This file owns no shared state: it reads the quota map (quotamap.c).
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		cleanup.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/dependency.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "commands/tablespace.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "diskquota_common.h"
#include "relfile.h"
#include "ownobjects.h"
#include "registry.h"
#include "quotamap.h"
#include "quotaconfig.h"
#include "selfservice.h"

PG_FUNCTION_INFO_V1(diskquota_cleanup_plan);
PG_FUNCTION_INFO_V1(diskquota_set_relation_priority);

/* The columns of cleanup_plan() */
#define CLEANUP_PLAN_COLS 8

/* One relation of a plan */
typedef struct CleanupRel
{
	Oid			relid;
	char	   *relname;
	int32		priority;
	int64		size;			/* charged to the target */
	int64		dead;			/* estimated dead space of its heap */
	bool		keep;
	int64		kept_total;		/* kept bytes up to and with this one */
} CleanupRel;

/* A relation's priority, as diskquota.relation_priority holds it */
typedef struct PriorityEntry
{
	Oid			relid;
	int32		priority;
} PriorityEntry;

/*
 * Every priority set, by relation OID: read with a plain scan of the table
 * as the statement's snapshot sees it (the caller need not be able to read
 * it).  Rows of dropped relations are there too; only OIDs found in
 * pg_class are looked up.
 */
static HTAB *
load_priorities(void)
{
	HASHCTL		ctl;
	HTAB	   *priorities;
	Relation	rel;
	TupleDesc	desc;
	SysScanDesc scan;
	HeapTuple	tuple;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(PriorityEntry);
	ctl.hcxt = CurrentMemoryContext;
	priorities = hash_create("diskquota priorities", 64, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	rel = table_open(diskquota_own_table_oid("relation_priority"), AccessShareLock);
	desc = RelationGetDescr(rel);
	scan = systable_beginscan(rel, InvalidOid, false,
							  ActiveSnapshotSet() ? GetActiveSnapshot() :
							  GetTransactionSnapshot(),
							  0, NULL);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		datum = heap_getattr(tuple, 1, desc, &isnull);
		Oid			relid;
		Datum		priority;
		PriorityEntry *entry;

		if (isnull)
			continue;
		relid = DatumGetObjectId(datum);
		priority = heap_getattr(tuple, 2, desc, &isnull);
		if (isnull)
			continue;
		entry = hash_search(priorities, &relid, HASH_ENTER, NULL);
		entry->priority = DatumGetInt32(priority);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return priorities;
}

/*
 * Refuse a caller who may not plan the target, saying nothing about it:
 * the database only for its owner (and superusers), another target for
 * the roles it is their own of (selfservice.c).
 */
static void
check_may_plan(const DiskquotaTarget *target)
{
	bool		allowed;

	if (target->type == DQ_DATABASE_QUOTA)
		allowed = pg_database_ownercheck(MyDatabaseId, GetUserId());
	else
		allowed = diskquota_target_is_mine(target);
	if (!allowed)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to plan the cleanup of this quota target"),
				 errdetail("A role may plan the cleanup of its own roles and schemas only, and of the database if it owns the database.")));
}

/* The target in words, for messages: schema "s" in tablespace "t" */
static char *
target_words(const DiskquotaTarget *target)
{
	const char *kind;
	const char *name;
	char	   *words;

	switch ((DiskquotaQuotaType) target->type)
	{
		case DQ_SCHEMA_QUOTA:
		case DQ_SCHEMA_TABLESPACE_QUOTA:
			kind = "schema";
			name = get_namespace_name(target->oid);
			break;
		case DQ_ROLE_QUOTA:
		case DQ_ROLE_TABLESPACE_QUOTA:
			kind = "role";
			name = GetUserNameFromId(target->oid, true);
			break;
		default:
			kind = "database";
			name = get_database_name(target->oid);
			break;
	}
	words = psprintf("%s \"%s\"", kind, name ? name : "?");
	if (OidIsValid(target->spcoid))
	{
		char	   *spcname = get_tablespace_name(target->spcoid);

		words = psprintf("%s in tablespace \"%s\"", words, spcname ? spcname : "?");
	}
	return words;
}

/*
 * The limit a plan keeps under: the target's soft limit, else its hard
 * limit, as the worker last published its quota.
 */
static int64
target_limit(const DiskquotaTarget *target)
{
	DiskquotaQuotaInfo info;

	if (diskquota_target_info(MyDatabaseId, target, &info))
	{
		if (info.policy.soft_bytes >= 0)
			return info.policy.soft_bytes;
		if (info.policy.hard_bytes >= 0)
			return info.policy.hard_bytes;
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("%s has no quota with a limit", target_words(target)),
			 errhint("See view diskquota.my_quotas for the quotas of your targets.")));
	return -1;					/* keep the compiler quiet */
}

/*
 * Is the relation a pg_class tuple describes charged to the target, as the
 * worker charges it?  Tables and materialized views only (partitions are
 * tables; a partitioned table has no files), with files in this database;
 * not those initdb created (catalogs, information_schema), nor those of an
 * extension (diskquota's own among them: DROP EXTENSION drops them, not a
 * tenant).  A temporary table is charged to its owner (and the database),
 * not to its schema.
 */
static bool
charged_to(const DiskquotaTarget *target, Form_pg_class form)
{
	bool		temp = form->relpersistence == RELPERSISTENCE_TEMP;
	RelFileNode rnode;
	BackendId	backend;

	if ((form->relkind != RELKIND_RELATION && form->relkind != RELKIND_MATVIEW) ||
		form->oid < FirstNormalObjectId ||
		!diskquota_pg_class_files(form->oid, form, &rnode, &backend))
		return false;
	switch ((DiskquotaQuotaType) target->type)
	{
		case DQ_SCHEMA_QUOTA:
		case DQ_SCHEMA_TABLESPACE_QUOTA:
			if (temp || form->relnamespace != target->oid)
				return false;
			break;
		case DQ_ROLE_QUOTA:
		case DQ_ROLE_TABLESPACE_QUOTA:
			if (form->relowner != target->oid)
				return false;
			break;
		default:
			break;
	}
	return !OidIsValid(getExtensionOfObject(RelationRelationId, form->oid));
}

/*
 * The dead space of a table's heap that VACUUM FULL would likely give
 * back, from the cumulative statistics: the main fork's size times the
 * share of dead tuples among all.  0 without statistics, or when the heap
 * is not in tablespace spcoid (if valid).  An estimate: the counts are as
 * of the last flush of the statistics, and dead tuples are not all of the
 * same width as the live ones.
 */
static int64
dead_space_estimate(Form_pg_class form, Oid spcoid)
{
	PgStat_StatTabEntry *stats = pgstat_fetch_stat_tabentry(form->oid);
	RelFileNode rnode;
	BackendId	backend;
	int64		main_size;
	double		live;
	double		dead;

	if (stats == NULL || stats->n_dead_tuples <= 0 ||
		!diskquota_pg_class_files(form->oid, form, &rnode, &backend) ||
		(OidIsValid(spcoid) && rnode.spcNode != spcoid))
		return 0;
	live = Max(stats->n_live_tuples, 0);
	dead = stats->n_dead_tuples;
	main_size = diskquota_fork_size(rnode, backend, MAIN_FORKNUM);
	return (int64) (main_size * (dead / (live + dead)));
}

/*
 * The relations charged to the target, each with its size (in the target's
 * tablespace only, for a target in a tablespace), priority and dead-space
 * estimate.  A scan of pg_class, no lock on a user relation.
 */
static CleanupRel *
charged_relations(const DiskquotaTarget *target, int *nrels)
{
	HTAB	   *priorities = load_priorities();
	Relation	pg_class;
	Relation	pg_index;
	SysScanDesc scan;
	HeapTuple	tuple;
	int			n = 0;
	int			allocated = 64;
	CleanupRel *rels = palloc(sizeof(CleanupRel) * allocated);

	pg_class = table_open(RelationRelationId, AccessShareLock);
	pg_index = table_open(IndexRelationId, AccessShareLock);
	scan = systable_beginscan(pg_class, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tuple);
		PriorityEntry *priority;
		CleanupRel *rel;
		int64		size;

		CHECK_FOR_INTERRUPTS();
		if (!charged_to(target, form))
			continue;
		size = diskquota_table_size_in(form->oid, target->spcoid, pg_index);
		/* in a tablespace: the tables with files there */
		if (OidIsValid(target->spcoid) && size == 0 &&
			(OidIsValid(form->reltablespace) ? form->reltablespace :
			 MyDatabaseTableSpace) != target->spcoid)
			continue;
		if (n == allocated)
		{
			allocated *= 2;
			rels = repalloc(rels, sizeof(CleanupRel) * allocated);
		}
		rel = &rels[n++];
		rel->relid = form->oid;
		rel->relname = pstrdup(NameStr(form->relname));
		priority = hash_search(priorities, &form->oid, HASH_FIND, NULL);
		rel->priority = priority ? priority->priority : 0;
		rel->size = size;
		rel->dead = dead_space_estimate(form, target->spcoid);
		rel->keep = false;
		rel->kept_total = 0;
	}
	systable_endscan(scan);
	table_close(pg_index, AccessShareLock);
	table_close(pg_class, AccessShareLock);
	hash_destroy(priorities);
	*nrels = n;
	return rels;
}

/* The bucket order: priority high to low, then smallest first */
static int
bucket_order(const void *a, const void *b)
{
	const CleanupRel *ra = (const CleanupRel *) a;
	const CleanupRel *rb = (const CleanupRel *) b;
	int			cmp;

	if (ra->priority != rb->priority)
		return ra->priority > rb->priority ? -1 : 1;
	if (ra->size != rb->size)
		return ra->size < rb->size ? -1 : 1;
	cmp = strcmp(ra->relname, rb->relname);
	if (cmp != 0)
		return cmp;
	return ra->relid < rb->relid ? -1 : ra->relid > rb->relid ? 1 : 0;
}

/*
 * The bucket method: in bucket order, keep a relation while the kept total
 * with it stays within the limit; the others are the candidates.
 */
static void
decide(CleanupRel *rels, int n, int64 limit)
{
	int64		total = 0;
	int			i;

	qsort(rels, n, sizeof(CleanupRel), bucket_order);
	for (i = 0; i < n; i++)
	{
		rels[i].keep = rels[i].size <= limit - total;
		if (rels[i].keep)
			total += rels[i].size;
		rels[i].kept_total = total;
	}
}

/*
 * diskquota.cleanup_plan(target_type, target, tablespace): the relations
 * charged to one target in bucket order, with what to keep (see the header
 * comment).  Columns: relation, size_bytes, priority, keep, freed_bytes
 * (the size of a candidate, 0 for a relation kept), dead_bytes_estimate,
 * kept_total_bytes (the running total of kept bytes), limit_bytes.
 */
Datum
diskquota_cleanup_plan(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	DiskquotaTarget target;
	CleanupRel *rels;
	int64		limit;
	int			n;
	int			i;

	diskquota_require_shmem();
	diskquota_target_args(fcinfo, 0, 1, 2, true, &target);
	check_may_plan(&target);
	limit = target_limit(&target);
	InitMaterializedSRF(fcinfo, 0);
	rels = charged_relations(&target, &n);
	decide(rels, n, limit);
	for (i = 0; i < n; i++)
	{
		Datum		values[CLEANUP_PLAN_COLS];
		bool		nulls[CLEANUP_PLAN_COLS];

		memset(nulls, 0, sizeof(nulls));
		values[0] = ObjectIdGetDatum(rels[i].relid);
		values[1] = Int64GetDatum(rels[i].size);
		values[2] = Int32GetDatum(rels[i].priority);
		values[3] = BoolGetDatum(rels[i].keep);
		values[4] = Int64GetDatum(rels[i].keep ? 0 : rels[i].size);
		values[5] = Int64GetDatum(rels[i].dead);
		values[6] = Int64GetDatum(rels[i].kept_total);
		values[7] = Int64GetDatum(limit);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * Run one statement on diskquota.relation_priority as the extension's
 * owner, under the fixed settings of ownobjects.c (an error restores the
 * caller's identity with the (sub)transaction's abort).
 */
static void
execute_as_owner(const char *sql, int nargs, Oid *argtypes, Datum *values)
{
	Oid			save_userid;
	int			save_sec;

	diskquota_as_owner_begin(&save_userid, &save_sec);
	diskquota_execute_own_sql(sql, nargs, argtypes, values, NULL);
	diskquota_as_owner_end(save_userid, save_sec);
}

/*
 * diskquota.set_relation_priority(relation, priority): the priority of a
 * table or materialized view in cleanup plans, for its owner to set; 0
 * (the default) removes it.  Also deletes the rows of dropped relations.
 */
Datum
diskquota_set_relation_priority(PG_FUNCTION_ARGS)
{
	Oid			relid;
	int32		priority;
	char		relkind;
	char	   *table;
	Oid			argtypes[2] = {OIDOID, INT4OID};
	Datum		values[2];

	diskquota_require_shmem();
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"%s\" must not be null",
						PG_ARGISNULL(0) ? "relation" : "priority"),
				 PG_ARGISNULL(1) ? errhint("Set priority 0 to remove a priority.") : 0));
	relid = PG_GETARG_OID(0);
	priority = PG_GETARG_INT32(1);
	relkind = get_rel_relkind(relid);
	if (relkind == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (relkind != RELKIND_RELATION && relkind != RELKIND_MATVIEW)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table or materialized view", get_rel_name(relid)),
				 relkind == RELKIND_PARTITIONED_TABLE ?
				 errhint("Set the priorities of its partitions.") : 0));
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, get_relkind_objtype(relkind),
					   get_rel_name(relid));

	table = diskquota_own_table_name("relation_priority");
	values[0] = ObjectIdGetDatum(relid);
	values[1] = Int32GetDatum(priority);
	/* rows another transaction holds are left to a later call */
	execute_as_owner(psprintf("DELETE FROM %s WHERE ctid OPERATOR(pg_catalog.=) ANY (ARRAY("
							  " SELECT p.ctid FROM %s p WHERE NOT EXISTS"
							  " (SELECT FROM pg_catalog.pg_class c"
							  " WHERE c.oid OPERATOR(pg_catalog.=) p.relid::pg_catalog.oid)"
							  " FOR UPDATE SKIP LOCKED))",
							  table, table),
					 0, NULL, NULL);
	if (priority == 0)
		execute_as_owner(psprintf("DELETE FROM %s"
								  " WHERE relid::pg_catalog.oid OPERATOR(pg_catalog.=) $1",
								  table),
						 1, argtypes, values);
	else
		execute_as_owner(psprintf("INSERT INTO %s (relid, priority)"
								  " VALUES ($1::pg_catalog.regclass, $2)"
								  " ON CONFLICT (relid) DO UPDATE SET priority = EXCLUDED.priority",
								  table),
						 2, argtypes, values);
	PG_RETURN_VOID();
}
