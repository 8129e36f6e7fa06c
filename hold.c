/*-------------------------------------------------------------------------
 *
 * hold.c
 *		Getting a worker out of the way of DROP DATABASE, CREATE DATABASE
 *		... TEMPLATE and ALTER DATABASE ... SET TABLESPACE.
 *
 * Such commands need no other session connected to the database, and the
 * worker is one.  A backend about to run one on a monitored database
 * stops its worker and holds the launcher off it (hold_until in the
 * database's slot: registry.c) until the command is over.  It does so only
 * once the checks PostgreSQL makes first would pass (existence,
 * privileges, other sessions, prepared transactions), checked again under
 * the lock on the database that the command takes (so that it does not
 * then wait for that lock with the worker held off), so that a refused
 * command never stops the worker, and the hold is lifted however the
 * backend leaves the command (an error, FATAL, pg_terminate_backend);
 * status() shows a held database as "held".  ALTER DATABASE ... RENAME of
 * a listed database by someone who is not a superuser is refused: the
 * launcher finds databases by name.
 *
 * This file owns no shared state; it sets hold_until under the registry's
 * protocol (registry.c).
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		hold.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/twophase.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_database.h"
#include "catalog/pg_tablespace_d.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "commands/tablespace.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/acl.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "diskquota_common.h"
#include "ownobjects.h"
#include "registry.h"
#include "hold.h"

/* ----------------------------------------------------------------
 * Getting a worker out of the way of database-level commands
 * ----------------------------------------------------------------
 */

/* How long a worker is held off while such a command runs */
#define WORKER_HOLD_MS		60000
/* How long such a command waits for the worker to exit */
#define WORKER_EXIT_WAIT_MS	5000

/*
 * Stop the worker of a database and keep the launcher from starting one
 * until diskquota_unhold_database(), or for WORKER_HOLD_MS if the caller
 * never gets there.  Waits until the worker has exited (at most
 * WORKER_EXIT_WAIT_MS).  Nothing to do if the database has no slot.
 */
static void
hold_database(Oid dbid)
{
	TimestampTz give_up = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													  WORKER_EXIT_WAIT_MS);

	for (;;)
	{
		DiskquotaDBSlot *slot;
		int			pid = 0;
		bool		starting = false;

		LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
		slot = diskquota_find_db_slot(dbid);
		if (slot == NULL)
		{
			LWLockRelease(DiskquotaShared->lock);
			return;
		}
		slot->hold_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   WORKER_HOLD_MS);
		pid = slot->worker_pid;
		starting = slot->state == DQ_DB_STARTING;
		LWLockRelease(DiskquotaShared->lock);

		/* a worker starting now sees the hold and exits */
		if (pid == 0 && !starting)
			return;
		if (pid != 0)
			kill(pid, SIGTERM);
		if (GetCurrentTimestamp() >= give_up)
			return;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 10, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* The command is over: the launcher may start the worker again. */
static void
unhold_database(Oid dbid)
{
	DiskquotaDBSlot *slot;

	LWLockAcquire(DiskquotaShared->lock, LW_EXCLUSIVE);
	slot = diskquota_find_db_slot(dbid);
	if (slot)
	{
		slot->hold_until = 0;
		DiskquotaShared->reconcile_requested = true;
		if (DiskquotaShared->launcher_latch)
			SetLatch(DiskquotaShared->launcher_latch);
	}
	LWLockRelease(DiskquotaShared->lock);
}

/*
 * Would the database's other sessions make the command fail?  PostgreSQL
 * refuses to drop, copy or move a database that another session (other
 * than autovacuum, which it stops) or a prepared transaction uses; with
 * FORCE (terminate), DROP DATABASE ends the sessions the user may signal,
 * and fails on the others.  Our worker does not count: it is what the hold
 * stops.  A session that connects after this check can still make the
 * command fail; then the hold ends with it.
 */
static bool
database_in_use(Oid dbid, bool terminate)
{
	int			worker_pid = 0;
	int			n;
	int			i;
	DiskquotaDBSlot *slot;
	bool		in_use = false;

	LWLockAcquire(DiskquotaShared->lock, LW_SHARED);
	slot = diskquota_find_db_slot(dbid);
	if (slot)
		worker_pid = slot->worker_pid;
	LWLockRelease(DiskquotaShared->lock);

	pgstat_clear_backend_activity_snapshot();
	n = pgstat_fetch_stat_numbackends();
	for (i = 1; i <= n && !in_use; i++)
	{
		LocalPgBackendStatus *local = pgstat_fetch_stat_local_beentry(i);
		PgBackendStatus *be = local ? &local->backendStatus : NULL;

		if (be == NULL || be->st_procpid <= 0 || be->st_databaseid != dbid ||
			be->st_procpid == MyProcPid || be->st_procpid == worker_pid ||
			be->st_backendType == B_AUTOVAC_WORKER)
			continue;
		if (terminate && be->st_backendType == B_BACKEND &&
			!(superuser_arg(be->st_userid) && !superuser()) &&
			(has_privs_of_role(GetUserId(), be->st_userid) ||
			 has_privs_of_role(GetUserId(), ROLE_PG_SIGNAL_BACKEND)))
			continue;
		in_use = true;
	}
	pgstat_clear_backend_activity_snapshot();

	if (!in_use && max_prepared_xacts > 0)
	{
		Oid			argtypes[1] = {OIDOID};
		Datum		values[1] = {ObjectIdGetDatum(dbid)};
		int			nestlevel = diskquota_internal_sql_begin();

		SPI_connect();
		if (SPI_execute_with_args("SELECT FROM pg_catalog.pg_prepared_xacts p"
								  " JOIN pg_catalog.pg_database d"
								  "   ON d.datname OPERATOR(pg_catalog.=) p.database"
								  " WHERE d.oid OPERATOR(pg_catalog.=) $1",
								  1, argtypes, values, NULL, true, 1) == SPI_OK_SELECT &&
			SPI_processed > 0)
			in_use = true;
		SPI_finish();
		diskquota_internal_sql_end(nestlevel);
	}
	return in_use;
}

/* May the current user create objects in the tablespace named by opt? */
static bool
tablespace_usable(DefElem *opt)
{
	char	   *name = defGetString(opt);
	Oid			spcoid = get_tablespace_oid(name, true);

	if (!OidIsValid(spcoid) || spcoid == GLOBALTABLESPACE_OID)
		return false;
	return spcoid == DEFAULTTABLESPACE_OID ||
		pg_tablespace_aclcheck(spcoid, GetUserId(), ACL_CREATE) == ACLCHECK_OK;
}

/*
 * The database a command needs no other session connected to: DROP
 * DATABASE, CREATE DATABASE ... TEMPLATE, ALTER DATABASE ... SET
 * TABLESPACE.  Only if PostgreSQL will not refuse the command for another
 * reason it checks first (the database missing, a privilege missing,
 * another session connected): a command that is refused must not stop the
 * worker.  InvalidOid for any other command.
 */
static pg_noinline Oid
database_needing_exclusive_access(Node *parsetree)
{
	Oid			dbid = InvalidOid;
	ListCell   *lc;
	HeapTuple	tuple;
	bool		istemplate = false;
	Oid			spcoid = InvalidOid;

	switch (nodeTag(parsetree))
	{
		case T_DropdbStmt:
			{
				DropdbStmt *stmt = (DropdbStmt *) parsetree;
				bool		force = false;

				dbid = get_database_oid(stmt->dbname, true);
				foreach(lc, stmt->options)
				{
					if (strcmp(((DefElem *) lfirst(lc))->defname, "force") == 0)
						force = true;
				}
				if (!OidIsValid(dbid) || dbid == MyDatabaseId ||
					!pg_database_ownercheck(dbid, GetUserId()))
					return InvalidOid;
				tuple = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(dbid));
				if (!HeapTupleIsValid(tuple))
					return InvalidOid;
				istemplate = ((Form_pg_database) GETSTRUCT(tuple))->datistemplate;
				ReleaseSysCache(tuple);
				if (istemplate || database_in_use(dbid, force))
					return InvalidOid;
				return dbid;
			}
		case T_CreatedbStmt:
			{
				CreatedbStmt *stmt = (CreatedbStmt *) parsetree;

				/*
				 * Options other than these (encoding, locales, strategy...)
				 * can make PostgreSQL refuse the command after more checks
				 * than are worth copying here: someone who is not a superuser
				 * gets no hold with them (the command then fails while the
				 * worker is connected).
				 */
				foreach(lc, stmt->options)
				{
					DefElem    *opt = (DefElem *) lfirst(lc);

					if (strcmp(opt->defname, "template") == 0 && opt->arg != NULL)
						dbid = get_database_oid(defGetString(opt), true);
					else if (strcmp(opt->defname, "owner") == 0 && opt->arg != NULL)
					{
						Oid			owner = get_role_oid(defGetString(opt), true);

						if (!OidIsValid(owner) || !is_member_of_role(GetUserId(), owner))
							return InvalidOid;
					}
					else if (strcmp(opt->defname, "connection_limit") != 0 &&
							 strcmp(opt->defname, "tablespace") != 0 &&
							 strcmp(opt->defname, "template") != 0 &&
							 !superuser())
						return InvalidOid;
					else if (strcmp(opt->defname, "tablespace") == 0 && opt->arg != NULL &&
							 !tablespace_usable(opt))
						return InvalidOid;
				}
				if (!OidIsValid(dbid) || dbid == MyDatabaseId ||
					!have_createdb_privilege() ||
					OidIsValid(get_database_oid(stmt->dbname, true)))
					return InvalidOid;
				tuple = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(dbid));
				if (!HeapTupleIsValid(tuple))
					return InvalidOid;
				istemplate = ((Form_pg_database) GETSTRUCT(tuple))->datistemplate;
				ReleaseSysCache(tuple);
				if ((!istemplate && !pg_database_ownercheck(dbid, GetUserId())) ||
					database_in_use(dbid, false))
					return InvalidOid;
				return dbid;
			}
		case T_AlterDatabaseStmt:
			{
				AlterDatabaseStmt *stmt = (AlterDatabaseStmt *) parsetree;
				DefElem    *spcopt = NULL;

				foreach(lc, stmt->options)
				{
					if (strcmp(((DefElem *) lfirst(lc))->defname, "tablespace") == 0)
						spcopt = (DefElem *) lfirst(lc);
				}
				if (spcopt == NULL)
					return InvalidOid;
				dbid = get_database_oid(stmt->dbname, true);
				if (!OidIsValid(dbid) || dbid == MyDatabaseId ||
					!pg_database_ownercheck(dbid, GetUserId()) ||
					!tablespace_usable(spcopt))
					return InvalidOid;
				/* already there: PostgreSQL does nothing */
				tuple = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(dbid));
				if (!HeapTupleIsValid(tuple))
					return InvalidOid;
				spcoid = ((Form_pg_database) GETSTRUCT(tuple))->dattablespace;
				ReleaseSysCache(tuple);
				if (spcoid == get_tablespace_oid(defGetString(spcopt), true) ||
					database_in_use(dbid, false))
					return InvalidOid;
				return dbid;
			}
		default:
			break;
	}
	return InvalidOid;
}

/*
 * Take the lock on the database that the command takes before it checks
 * anything (DROP DATABASE and ALTER DATABASE ... SET TABLESPACE:
 * AccessExclusiveLock; CREATE DATABASE, on its template: ShareLock), and
 * decide again under it: without it, a session holding a lock on the
 * database (COMMENT ON DATABASE in an open transaction, from another
 * database) keeps the command waiting with the worker held off for as long
 * as it likes, and whatever queues meanwhile (a rename) runs while no
 * worker is there.  The command finds the lock already held.  Returns
 * the database to hold, or InvalidOid.
 */
static Oid
lock_database_for_hold(Node *parsetree, Oid dbid)
{
	LockSharedObject(DatabaseRelationId, dbid, 0,
					 IsA(parsetree, CreatedbStmt) ? ShareLock : AccessExclusiveLock);
	if (database_needing_exclusive_access(parsetree) != dbid)
		return InvalidOid;
	return dbid;
}

/*
 * ALTER DATABASE ... RENAME of a database listed in
 * diskquota.monitor_databases, by someone who is not a superuser: refused.
 * The launcher finds databases by the names listed, so a renamed database
 * would no longer be monitored, and its quotas no longer enforced.  A
 * superuser may rename it (and then lists the new name).
 */
static void
check_database_rename(Node *parsetree)
{
	RenameStmt *stmt;

	if (!IsA(parsetree, RenameStmt))
		return;
	stmt = (RenameStmt *) parsetree;
	if (stmt->renameType != OBJECT_DATABASE || superuser() ||
		!diskquota_database_is_monitored(stmt->subname))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to rename database \"%s\"", stmt->subname),
			 errdetail("The database is listed in diskquota.monitor_databases: under another name its quotas would not be enforced."),
			 errhint("Ask a superuser to rename it and to list the new name in diskquota.monitor_databases.")));
}

/* Lift the hold when the command is over, however the backend leaves it */
static void
unhold_database_callback(int code, Datum arg)
{
	unhold_database(DatumGetObjectId(arg));
}

/*
 * DROP DATABASE and the like fail while another session is connected to
 * the database, and the worker is one: it is stopped first and kept away
 * until the command is over.  A dropped database's slot is then freed by
 * the launcher, which logs once that the listed database does not exist.
 */
void
diskquota_hold_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
							  bool readOnlyTree, ProcessUtilityContext context,
							  ParamListInfo params, QueryEnvironment *queryEnv,
							  DestReceiver *dest, QueryCompletion *qc,
							  ProcessUtility_hook_type next)
{
	Oid			dbid;

	check_database_rename(pstmt->utilityStmt);
	dbid = database_needing_exclusive_access(pstmt->utilityStmt);
	if (OidIsValid(dbid))
		dbid = lock_database_for_hold(pstmt->utilityStmt, dbid);
	if (!OidIsValid(dbid))
	{
		next(pstmt, queryString, readOnlyTree, context, params, queryEnv,
			 dest, qc);
		return;
	}

	/*
	 * The hold is lifted on every way out: the command's end, an error (also
	 * a cancel while we wait for the worker), and the backend's exit (FATAL,
	 * pg_terminate_backend), by the before_shmem_exit callback that
	 * PG_ENSURE_ERROR_CLEANUP registers for its duration.
	 */
	PG_ENSURE_ERROR_CLEANUP(unhold_database_callback, ObjectIdGetDatum(dbid));
	{
		hold_database(dbid);
		next(pstmt, queryString, readOnlyTree, context, params, queryEnv,
			 dest, qc);
	}
	PG_END_ENSURE_ERROR_CLEANUP(unhold_database_callback, ObjectIdGetDatum(dbid));
	unhold_database(dbid);
}
