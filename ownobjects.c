/*-------------------------------------------------------------------------
 *
 * ownobjects.c
 *		How diskquota finds its own objects, guards the schema it is
 *		installed in, and runs its own SQL.
 *
 * diskquota's own SQL runs as a superuser (the worker, and the functions
 * only superusers may call) in databases whose owner and tenants are not
 * superusers.  It must never run an object they created, nor be stopped
 * or frozen by their settings:
 * - its tables are found through the extension's catalog entry
 *   (pg_extension.extnamespace) and checked to be members of the extension
 *   (pg_depend, deptype 'e'), never by name alone;
 * - its statements name everything qualified (the tables by the schema
 *   found that way, operators as OPERATOR(pg_catalog.=), types and
 *   functions with pg_catalog.), and they run with search_path =
 *   pg_catalog, pg_temp and safe values of the settings that could fail or
 *   freeze them (fixed_settings): in the worker for the whole process, at
 *   PGC_S_OVERRIDE, which per-database and per-role settings cannot
 *   outrank; in the SQL functions for the duration of their statements, in
 *   a GUC nest level (as a function's SET clause is);
 * - CREATE EXTENSION and ALTER EXTENSION ... UPDATE of diskquota are
 *   refused when the schema "diskquota" is not owned by a superuser or
 *   holds objects that are not the extension's: the script would bind
 *   names to them (its views, an operator of the owner's).  That check runs
 *   in the ProcessUtility hook, before the command and (for CREATE) again
 *   after it, in its transaction; so it needs shared_preload_libraries.
 *   After a CREATE EXTENSION it also warns when the database is listed
 *   beyond diskquota.max_databases (registry.c), so gets no worker.
 *
 * This file owns no shared state.
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		ownobjects.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/table.h"
#include "executor/spi.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "diskquota_common.h"
#include "settings.h"
#include "registry.h"
#include "ownobjects.h"

/*
 * The settings under which diskquota's own SQL runs, whatever the database
 * owner or the caller set: no name resolved through a schema they can
 * write to, no timeout or read-only default that fails the worker's
 * refresh, no session_replication_role that skips quota_config's trigger,
 * no exit_on_error that turns a tolerated error into an exit, and no
 * literal or NULL comparison parsed differently.
 */
typedef struct FixedSetting
{
	const char *name;
	const char *value;
} FixedSetting;

static const FixedSetting fixed_settings[] = {
	{"search_path", "pg_catalog, pg_temp"},
	{"statement_timeout", "0"},
	{"lock_timeout", "0"},
	{"idle_in_transaction_session_timeout", "0"},
	{"default_transaction_read_only", "off"},
	{"default_transaction_isolation", "read committed"},
	{"default_transaction_deferrable", "off"},
	{"session_replication_role", "origin"},
	{"exit_on_error", "off"},
	{"default_tablespace", ""},
	{"temp_tablespaces", ""},
	{"standard_conforming_strings", "on"},
	{"transform_null_equals", "off"},
	{"max_parallel_workers_per_gather", "0"},
	{"jit", "off"},
};

/*
 * The worker, before it connects: fix the settings for the whole process
 * at PGC_S_OVERRIDE, so that the per-database and per-role settings that
 * InitPostgres applies (ALTER DATABASE/ROLE ... SET) are ignored for them.
 * Also synchronous_commit = local: the worker's commits never wait for a
 * standby; and lock_timeout = DQ_LOCK_TIMEOUT instead of 0: a refresh that
 * waits for a lock longer fails and is retried (worker.c).
 */
void
diskquota_fix_worker_settings(void)
{
	size_t		i;

	for (i = 0; i < lengthof(fixed_settings); i++)
		SetConfigOption(fixed_settings[i].name, fixed_settings[i].value,
						PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("synchronous_commit", "local", PGC_SUSET, PGC_S_OVERRIDE);
	/* and it never waits for a lock for long (worker.c retries) */
	SetConfigOption("lock_timeout", DQ_LOCK_TIMEOUT, PGC_SUSET, PGC_S_OVERRIDE);
}

/*
 * The worker, once connected: "session_authorization" and "role" settings
 * of the database (ALTER DATABASE ... SET, which its owner may do) made it
 * another role.  Back to the bootstrap superuser it connected as, at
 * PGC_S_OVERRIDE (their check hooks need a transaction); and make sure.
 */
void
diskquota_check_worker_identity(void)
{
	StartTransactionCommand();
	SetConfigOption("session_authorization",
					GetUserNameFromId(BOOTSTRAP_SUPERUSERID, false),
					PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("role", "none", PGC_SUSET, PGC_S_OVERRIDE);
	if (GetUserId() != BOOTSTRAP_SUPERUSERID ||
		GetSessionUserId() != BOOTSTRAP_SUPERUSERID ||
		GetOuterUserId() != BOOTSTRAP_SUPERUSERID)
		ereport(FATAL,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("diskquota worker could not run as the bootstrap superuser in database \"%s\"",
						get_database_name(MyDatabaseId))));
	CommitTransactionCommand();
}

/*
 * A SQL function (run by a superuser): fix the settings until
 * diskquota_internal_sql_end(), or until the (sub)transaction aborts.
 */
int
diskquota_internal_sql_begin(void)
{
	int			nestlevel = NewGUCNestLevel();
	size_t		i;

	for (i = 0; i < lengthof(fixed_settings); i++)
		(void) set_config_option(fixed_settings[i].name, fixed_settings[i].value,
								 PGC_SUSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

void
diskquota_internal_sql_end(int nestlevel)
{
	AtEOXact_GUC(true, nestlevel);
}

/* The schema and the owner of an extension, from its pg_extension row */
static void
extension_row(Oid extoid, Oid *nspoid, Oid *owner)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;

	*nspoid = *owner = InvalidOid;
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		*nspoid = ((Form_pg_extension) GETSTRUCT(tuple))->extnamespace;
		*owner = ((Form_pg_extension) GETSTRUCT(tuple))->extowner;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/* The schema of an extension */
Oid
diskquota_extension_schema(Oid extoid)
{
	Oid			nspoid;
	Oid			owner;

	extension_row(extoid, &nspoid, &owner);
	return nspoid;
}

/*
 * Become the owner of the extension diskquota (the superuser who created
 * it, who owns its tables) until diskquota_as_owner_end(): for the
 * functions that let a role that is not a superuser write the extension's
 * tables, after they have checked what that role may do.  Only the
 * fixed statements of the caller run meanwhile (ownobjects.c's settings);
 * an error ends it with the (sub)transaction.
 */
void
diskquota_as_owner_begin(Oid *save_userid, int *save_sec)
{
	Oid			nspoid;
	Oid			owner;

	extension_row(get_extension_oid(DISKQUOTA_EXTENSION_NAME, false), &nspoid, &owner);
	GetUserIdAndSecContext(save_userid, save_sec);
	SetUserIdAndSecContext(owner, *save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
}

void
diskquota_as_owner_end(Oid save_userid, int save_sec)
{
	SetUserIdAndSecContext(save_userid, save_sec);
}

/*
 * A table of the extension extoid: in the extension's own schema, and a
 * member of it.  InvalidOid if there is none (a table of that name that is
 * not the extension's is ignored).
 */
Oid
diskquota_own_table(Oid extoid, const char *relname)
{
	Oid			nspoid = diskquota_extension_schema(extoid);
	Oid			relid;

	if (!OidIsValid(nspoid))
		return InvalidOid;
	relid = get_relname_relid(relname, nspoid);
	if (!OidIsValid(relid) ||
		getExtensionOfObject(RelationRelationId, relid) != extoid)
		return InvalidOid;
	return relid;
}

/*
 * One of the extension's own tables: found through the extension's catalog
 * entry, never by name through a search_path.  An error if it is missing.
 */
Oid
diskquota_own_table_oid(const char *relname)
{
	Oid			relid = diskquota_own_table(get_extension_oid(DISKQUOTA_EXTENSION_NAME, false),
											relname);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table \"%s\" of extension \"%s\" does not exist",
						relname, DISKQUOTA_EXTENSION_NAME)));
	return relid;
}

/* The same, qualified for a statement */
char	   *
diskquota_own_table_name(const char *relname)
{
	return diskquota_qualified_name(diskquota_own_table_oid(relname));
}

/*
 * Run one statement of ours on our tables, as the current user (a
 * superuser, or the extension's owner: diskquota_as_owner_begin()), under
 * the fixed settings above: no name or operator resolved through a schema
 * the database owner or a tenant controls.  Returns the rows processed.
 * latest: a SELECT read with a snapshot taken now, not the transaction's
 * (which in REPEATABLE READ may be older, even imported from another
 * session); the transaction's own rows are seen.
 */
static uint64
run_own_sql(const char *sql, int nargs, Oid *argtypes, Datum *values,
			const char *nulls, bool latest)
{
	int			nestlevel = diskquota_internal_sql_begin();
	int			ret;
	uint64		processed;

	SPI_connect();
	if (latest)
	{
		SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

		if (plan == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg_internal("could not prepare \"%s\": %s",
									 sql, SPI_result_code_string(SPI_result))));
		ret = SPI_execute_snapshot(plan, values, nulls, GetLatestSnapshot(),
								   InvalidSnapshot, true, false, 0);
	}
	else
		ret = diskquota_execute_internal(sql, nargs, argtypes, values, nulls);
	if (ret < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg_internal("could not run \"%s\": %s",
								 sql, SPI_result_code_string(ret))));
	processed = SPI_processed;
	SPI_finish();
	diskquota_internal_sql_end(nestlevel);
	return processed;
}

uint64
diskquota_execute_own_sql(const char *sql, int nargs, Oid *argtypes, Datum *values,
						  const char *nulls)
{
	return run_own_sql(sql, nargs, argtypes, values, nulls, false);
}

uint64
diskquota_count_own_rows_now(const char *sql, int nargs, Oid *argtypes, Datum *values,
							 const char *nulls)
{
	return run_own_sql(sql, nargs, argtypes, values, nulls, true);
}

/* The qualified name of a relation, quoted, for a SQL statement */
char	   *
diskquota_qualified_name(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/*
 * Refuse a schema for the extension (nspoid; extoid is the extension if it
 * exists already) that is not owned by a superuser, or that holds an
 * object that is not the extension or one of its members.  is_create:
 * for CREATE EXTENSION, else for ALTER EXTENSION ... UPDATE.
 */
static void
check_extension_schema(Oid nspoid, Oid extoid, bool is_create)
{
	HeapTuple	tuple;
	Oid			owner;
	char	   *nspname;
	Relation	rel;
	ScanKeyData keys[2];
	SysScanDesc scan;
	bool		foreign = false;

	tuple = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nspoid));
	if (!HeapTupleIsValid(tuple))
		return;
	owner = ((Form_pg_namespace) GETSTRUCT(tuple))->nspowner;
	nspname = pstrdup(NameStr(((Form_pg_namespace) GETSTRUCT(tuple))->nspname));
	ReleaseSysCache(tuple);

	if (!superuser_arg(owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 is_create ?
				 errmsg("cannot create extension \"%s\" in schema \"%s\"",
						DISKQUOTA_EXTENSION_NAME, nspname) :
				 errmsg("cannot update extension \"%s\" in schema \"%s\"",
						DISKQUOTA_EXTENSION_NAME, nspname),
				 errdetail("The schema is owned by role \"%s\", which is not a superuser. The extension's objects would be created in a schema that role controls.",
						   GetUserNameFromId(owner, false)),
				 errhint("Drop the schema, or make a superuser its owner and remove what is not the extension's.")));

	/* every object in the schema depends on it */
	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&keys[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(NamespaceRelationId));
	ScanKeyInit(&keys[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(nspoid));
	scan = systable_beginscan(rel, DependReferenceIndexId, true, NULL, 2, keys);
	while (!foreign && HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);

		if (OidIsValid(extoid) &&
			((dep->classid == ExtensionRelationId && dep->objid == extoid) ||
			 getExtensionOfObject(dep->classid, dep->objid) == extoid))
			continue;
		foreign = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (foreign)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 is_create ?
				 errmsg("cannot create extension \"%s\" in schema \"%s\"",
						DISKQUOTA_EXTENSION_NAME, nspname) :
				 errmsg("cannot update extension \"%s\" in schema \"%s\"",
						DISKQUOTA_EXTENSION_NAME, nspname),
				 errdetail("The schema contains objects that are not part of the extension, and the extension's script would resolve names to them."),
				 errhint("Remove those objects from the schema, or drop the schema, and run the command again.")));
}

/*
 * From the ProcessUtility hook, before the command runs: CREATE EXTENSION
 * diskquota into an existing schema "diskquota" (which PostgreSQL reuses),
 * and ALTER EXTENSION diskquota UPDATE, need a schema that only a
 * superuser controls and that holds nothing but the extension.
 */
void
diskquota_check_extension_command(Node *parsetree)
{
	if (IsA(parsetree, CreateExtensionStmt) &&
		strcmp(((CreateExtensionStmt *) parsetree)->extname, DISKQUOTA_EXTENSION_NAME) == 0)
	{
		Oid			nspoid;

		/* already there: PostgreSQL refuses, or IF NOT EXISTS does nothing */
		if (OidIsValid(get_extension_oid(DISKQUOTA_EXTENSION_NAME, true)))
			return;
		/* the control file's schema, the only one it can be created in */
		nspoid = get_namespace_oid(DISKQUOTA_EXTENSION_NAME, true);
		if (OidIsValid(nspoid))
			check_extension_schema(nspoid, InvalidOid, true);
	}
	else if (IsA(parsetree, AlterExtensionStmt) &&
			 strcmp(((AlterExtensionStmt *) parsetree)->extname, DISKQUOTA_EXTENSION_NAME) == 0)
	{
		Oid			extoid = get_extension_oid(DISKQUOTA_EXTENSION_NAME, true);

		if (OidIsValid(extoid))
			check_extension_schema(diskquota_extension_schema(extoid), extoid,
								   false);
	}
}

/*
 * From the ProcessUtility hook, after CREATE EXTENSION diskquota ran (in
 * its transaction): the same check on the schema the extension is now in.
 * It closes the window between the check before the command and
 * PostgreSQL's own lookup of the schema, in which another session could
 * have committed a CREATE SCHEMA diskquota; the error rolls the extension
 * back.
 */
void
diskquota_check_extension_created(Node *parsetree)
{
	Oid			extoid;

	if (!IsA(parsetree, CreateExtensionStmt) ||
		strcmp(((CreateExtensionStmt *) parsetree)->extname, DISKQUOTA_EXTENSION_NAME) != 0)
		return;
	extoid = get_extension_oid(DISKQUOTA_EXTENSION_NAME, true);
	if (OidIsValid(extoid))
		check_extension_schema(diskquota_extension_schema(extoid), extoid,
							   true);
	if (diskquota_database_beyond_limit(get_database_name(MyDatabaseId)))
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("diskquota will not enforce quotas in database \"%s\"",
						get_database_name(MyDatabaseId)),
				 errdetail("The other databases listed in diskquota.monitor_databases take all places that diskquota.max_databases (%d) allows.",
						   diskquota_max_databases),
				 errhint("Increase diskquota.max_databases and restart the server.")));
}

/*
 * > 0 while diskquota_execute_internal() runs a statement: enforcement.c
 * refuses none of its writes (reset at abort there).
 */
int			diskquota_internal_sql_depth = 0;

/*
 * Run one SQL statement of diskquota's own (SPI, connected by the caller)
 * that changes its tables: never refused.  The exemption ends with the
 * statement, also when it fails inside a subtransaction that is rolled
 * back while the session goes on.
 */
int
diskquota_execute_internal(const char *sql, int nargs, Oid *argtypes, Datum *values,
						   const char *nulls)
{
	int			ret;

	diskquota_internal_sql_depth++;
	PG_TRY();
	{
		ret = SPI_execute_with_args(sql, nargs, argtypes, values, nulls, false, 0);
	}
	PG_FINALLY();
	{
		diskquota_internal_sql_depth--;
	}
	PG_END_TRY();
	return ret;
}

/* Is this statement CREATE or DROP EXTENSION diskquota (and which)? */
bool
diskquota_extension_stmt(Node *parsetree, bool *is_create)
{
	if (IsA(parsetree, CreateExtensionStmt))
	{
		*is_create = true;
		return strcmp(((CreateExtensionStmt *) parsetree)->extname,
					  DISKQUOTA_EXTENSION_NAME) == 0;
	}
	if (IsA(parsetree, DropStmt) &&
		((DropStmt *) parsetree)->removeType == OBJECT_EXTENSION)
	{
		ListCell   *lc;

		*is_create = false;
		foreach(lc, ((DropStmt *) parsetree)->objects)
		{
			if (strcmp(strVal(lfirst(lc)), DISKQUOTA_EXTENSION_NAME) == 0)
				return true;
		}
	}
	return false;
}
