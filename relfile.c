/*-------------------------------------------------------------------------
 *
 * relfile.c
 *		Relation files: how they are named on disk, and their sizes by
 *		stat().
 *
 * The worker's model (quotamodel.c), the file-change feed (filefeed.c),
 * enforcement (enforcement.c), diskquota.relation_size() and the cleanup
 * plans (cleanup.c) all size relations by their files, with stat() and
 * without opening or locking the relation: a missing file counts as empty
 * (a relation being created or dropped).  The feed and the worker's
 * directory listing parse the names of relation files.
 *
 * This file owns no shared state.
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		relfile.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <limits.h>
#include <sys/stat.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "common/relpath.h"
#include "miscadmin.h"
#include "utils/fmgroids.h"
#include "utils/relmapper.h"
#include "utils/syscache.h"

#include "relfile.h"

/* Size of all segments of one fork of a relation file set, by stat() */
int64
diskquota_fork_size(RelFileNode rnode, BackendId backend, ForkNumber fork)
{
	char	   *path = relpathbackend(rnode, backend, fork);
	char		segpath[MAXPGPATH];
	BlockNumber segno;
	int64		total = 0;

	for (segno = 0;; segno++)
	{
		struct stat st;

		if (segno == 0)
			strlcpy(segpath, path, MAXPGPATH);
		else
			snprintf(segpath, MAXPGPATH, "%s.%u", path, segno);
		if (stat(segpath, &st) < 0)
		{
			if (errno != ENOENT)
				ereport(LOG,
						(errcode_for_file_access(),
						 errmsg("diskquota could not stat file \"%s\": %m", segpath)));
			break;
		}
		total += st.st_size;
		if (st.st_size < (off_t) RELSEG_SIZE * BLCKSZ)
			break;				/* no further segment */
	}
	pfree(path);
	return total;
}

/*
 * Size of the files of one relation file set, by stat(): all segments of
 * the forks the relation can have (relkind and relpersistence as in
 * pg_class; relkind '\0' when unknown: every fork).  Missing files count as
 * empty: a relation being dropped or created.  *main_size (if not NULL) is
 * set to the size of the main fork.
 */
int64
diskquota_relfilenode_size(RelFileNode rnode, BackendId backend, char relkind,
						   char relpersistence, int64 *main_size)
{
	int64		total = 0;
	ForkNumber	fork;

	for (fork = 0; fork <= MAX_FORKNUM; fork++)
	{
		int64		size;

		/* only unlogged relations have an init fork, only tables a VM */
		if (relkind != '\0' &&
			((fork == INIT_FORKNUM && relpersistence != RELPERSISTENCE_UNLOGGED) ||
			 (fork == VISIBILITYMAP_FORKNUM && relkind == RELKIND_INDEX)))
			continue;
		size = diskquota_fork_size(rnode, backend, fork);
		if (fork == MAIN_FORKNUM && main_size != NULL)
			*main_size = size;
		total += size;
	}
	return total;
}

/*
 * Where the files of the relation a pg_class tuple describes are: false if
 * it has none (no storage, shared, or the temporary relation of a session
 * that is gone).
 */
bool
diskquota_pg_class_files(Oid relid, Form_pg_class form, RelFileNode *rnode,
						 BackendId *backend)
{
	if (!RELKIND_HAS_STORAGE(form->relkind) || form->relisshared)
		return false;
	rnode->dbNode = MyDatabaseId;
	rnode->spcNode = OidIsValid(form->reltablespace) ? form->reltablespace : MyDatabaseTableSpace;
	rnode->relNode = OidIsValid(form->relfilenode) ? form->relfilenode :
		RelationMapOidToFilenode(relid, false);
	if (!OidIsValid(rnode->relNode))
		return false;
	*backend = InvalidBackendId;
	if (form->relpersistence == RELPERSISTENCE_TEMP)
	{
		*backend = GetTempNamespaceBackendId(form->relnamespace);
		if (*backend == InvalidBackendId)
			return false;
	}
	return true;
}


/*
 * Size of the files of one relation by OID, 0 if it has none or is gone;
 * with with_indexes, also of its indexes and TOAST relation (with its
 * index).  Only the files in tablespace spcoid count, unless it is
 * InvalidOid.
 */
static int64
relation_files_size(Oid relid, Relation pg_index, bool with_indexes, Oid spcoid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Form_pg_class form;
	RelFileNode rnode;
	BackendId	backend;
	int64		size = 0;

	if (!HeapTupleIsValid(tuple))
		return 0;
	form = (Form_pg_class) GETSTRUCT(tuple);
	if (diskquota_pg_class_files(relid, form, &rnode, &backend) &&
		(!OidIsValid(spcoid) || rnode.spcNode == spcoid))
		size = diskquota_relfilenode_size(rnode, backend, form->relkind, form->relpersistence, NULL);
	if (with_indexes)
	{
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple	index;

		ScanKeyInit(&key, Anum_pg_index_indrelid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(relid));
		scan = systable_beginscan(pg_index, IndexIndrelidIndexId, true, NULL, 1, &key);
		while (HeapTupleIsValid(index = systable_getnext(scan)))
			size += relation_files_size(((Form_pg_index) GETSTRUCT(index))->indexrelid,
										pg_index, false, spcoid);
		systable_endscan(scan);
		if (OidIsValid(form->reltoastrelid))
			size += relation_files_size(form->reltoastrelid, pg_index, true, spcoid);
	}
	ReleaseSysCache(tuple);
	return size;
}

/*
 * What diskquota charges for a relation: for a table or materialized view,
 * its files with those of its TOAST relation and indexes (as
 * pg_total_relation_size()); for another relation, its own files.  Read
 * from the catalog and stat() without locking the relation, so it also
 * works while a load holds it, and for relations this transaction created.
 */
int64
diskquota_relation_size(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	char		relkind;
	Relation	pg_index;
	int64		size;

	if (!HeapTupleIsValid(tuple))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	relkind = ((Form_pg_class) GETSTRUCT(tuple))->relkind;
	ReleaseSysCache(tuple);
	pg_index = table_open(IndexRelationId, AccessShareLock);
	size = relation_files_size(relid, pg_index,
							   relkind == RELKIND_RELATION || relkind == RELKIND_MATVIEW,
							   InvalidOid);
	table_close(pg_index, AccessShareLock);
	return size;
}

/*
 * What diskquota charges for a table or materialized view in one
 * tablespace, as a tablespace target's usage counts it: those of its files,
 * its TOAST relation's and its indexes' that are in spcoid (in any
 * tablespace if InvalidOid).  0 if the relation is gone.  No lock on the
 * relation; the caller has pg_index open.
 */
int64
diskquota_table_size_in(Oid relid, Oid spcoid, Relation pg_index)
{
	return relation_files_size(relid, pg_index, true, spcoid);
}

/*
 * Parse a relation file name: <n>, <n>_<fork>, <n>.<segment>,
 * <n>_<fork>.<segment>, t<backend>_<n>...  False for other files
 * (PG_VERSION, pg_filenode.map, pg_internal.init, the temporary files of a
 * rewrite).  Used by the worker's directory listing and by the launcher's
 * file-change feed.
 */
bool
diskquota_parse_relation_file_name(const char *name, Oid *relfilenode,
								   BackendId *backend, ForkNumber *fork)
{
	const char *p = name;
	char	   *end;
	unsigned long n;

	*backend = InvalidBackendId;
	*fork = MAIN_FORKNUM;
	if (*p == 't')
	{
		unsigned long b;

		p++;
		if (!isdigit((unsigned char) *p))
			return false;
		b = strtoul(p, &end, 10);
		if (*end != '_' || b > INT_MAX)
			return false;
		*backend = (BackendId) b;
		p = end + 1;
	}
	if (!isdigit((unsigned char) *p))
		return false;
	errno = 0;
	n = strtoul(p, &end, 10);
	if (errno != 0 || n == 0 || n > PG_UINT32_MAX)
		return false;
	if (*end == '_')
	{
		end++;
		if (strncmp(end, "fsm", 3) == 0)
		{
			*fork = FSM_FORKNUM;
			end += 3;
		}
		else if (strncmp(end, "vm", 2) == 0)
		{
			*fork = VISIBILITYMAP_FORKNUM;
			end += 2;
		}
		else if (strncmp(end, "init", 4) == 0)
		{
			*fork = INIT_FORKNUM;
			end += 4;
		}
		else
			return false;
	}
	if (*end == '.')
	{
		end++;
		if (!isdigit((unsigned char) *end))
			return false;
		while (isdigit((unsigned char) *end))
			end++;
	}
	if (*end != '\0')
		return false;
	*relfilenode = (Oid) n;
	return true;
}
