/*-------------------------------------------------------------------------
 *
 * quotamodel.c
 *		The worker's model of disk usage: what each table, and each
 *		target with a quota, uses.
 *
 * The model lives in the worker's memory.  It knows, for every table
 * (relkind r or m) of its database, the schema and owner it is charged to
 * and its total size: what pg_total_relation_size() reports, i.e. heap,
 * TOAST and indexes, all forks, measured by stat() of the files, so the
 * worker never opens or locks a user relation.  Indexes and TOAST relations
 * are charged to their table; temporary tables to their owner only.  Each
 * table's bytes are also kept per tablespace (an index may live elsewhere
 * than its table).  The model keeps per-target totals (bytes per schema,
 * role, schema in a tablespace, role in a tablespace, and the database) and
 * updates them by the change of each file set it re-sizes.
 *
 * A full rescan (at start, on request, and every
 * diskquota.full_rescan_interval) lists the database's directories (one
 * fstatat() per existing file) and reads pg_class and pg_index once; it
 * also records which relation each file set belongs to (FileMap).
 * Otherwise a refresh re-sizes only what the active-relation map
 * (activetable.c) names: a relation the hooks reported, with its TOAST and
 * indexes; a file the feed reported, alone and without a catalog lookup
 * (only its main fork when only that changed: one stat()).
 * So its cost is in proportion to what changed.  Each refresh then reads
 * quota_config (deleting the rows of dropped targets) and pause_state (the
 * extension's members, found by OID, read under a share lock on the
 * extension so that a DROP EXTENSION waits for the refresh; the SQL names
 * nothing through a search_path: ownobjects.c; the lock is taken only if
 * free, never waited for: worker.c retries), and
 * publishes, for each configured quota, the usage and whether it is
 * exceeded (used >= quota) into the shared quota map (quotamap.c), with
 * the headroom that running statements charge their growth against (the
 * protocol is in quotamap.c: update_model starts it).  Then it
 * stops the statements that write into an exceeded quota's target
 * (backendslot.c).
 *
 * This file owns no shared state: the model is the worker's own memory.
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		quotamodel.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_index.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_tablespace.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "common/relpath.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/lmgr.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/relfilenodemap.h"
#include "utils/relmapper.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "diskquota_common.h"
#include "settings.h"
#include "relfile.h"
#include "ownobjects.h"
#include "registry.h"
#include "activetable.h"
#include "quotamap.h"
#include "backendslot.h"
#include "events.h"
#include "history.h"
#include "policy.h"
#include "quotamodel.h"

/* ----------------------------------------------------------------
 * The worker's model
 * ----------------------------------------------------------------
 */

/* A relation file set: tablespace and relfilenode */
typedef struct FileMapKey
{
	Oid			spcnode;
	Oid			relfilenode;
} FileMapKey;

/* Bytes in one tablespace */
typedef struct SpcBytes
{
	Oid			spcoid;
	int64		bytes;
} SpcBytes;

/*
 * A table (relkind r or m) and everything charged to it.  Its bytes are
 * also kept by tablespace (an index may live elsewhere than its table): in
 * spc, and in extra_spc (allocated in ModelContext) for the rare table whose
 * files are in more than one tablespace.
 */
typedef struct DQTableEntry
{
	Oid			relid;
	Oid			nspoid;			/* InvalidOid for temporary tables */
	Oid			owner;
	FileMapKey	files;			/* the table's own files, when sized */
	int64		own_size;		/* of the table's own files */
	int64		main_size;		/* of the main fork of its own files */
	int64		size;			/* own_size and the sizes of its children */
	uint64		sized;			/* when it was last sized with its children */
	SpcBytes	spc;
	int			nextra_spc;
	SpcBytes   *extra_spc;
} DQTableEntry;

/* An index or TOAST relation, the table it is charged to, and its size */
typedef struct ChildEntry
{
	Oid			relid;
	Oid			table;
	FileMapKey	files;			/* its files, when sized */
	int64		size;
	int64		main_size;		/* of the main fork of its files */
	uint64		sized;			/* when it was sized with its table */
} ChildEntry;

/* Bytes charged to one target */
typedef struct DQTargetEntry
{
	DiskquotaTarget key;
	int64		used;
} DQTargetEntry;

/*
 * Which relation a file set belongs to, as the model last saw it, so that a
 * file the feed reports is re-sized without a catalog lookup.  Temporary
 * relations are not in it (the feed cannot tell whose they are).  A new
 * relfilenode comes with a catalog change that the hooks report, and
 * refresh_relation() records it; an entry whose relation the model no
 * longer knows is looked up in the catalog again.
 */
typedef struct FileMapEntry
{
	FileMapKey	key;
	Oid			relid;
	char		relkind;
	char		relpersistence;
} FileMapEntry;

static MemoryContext ModelContext = NULL;
static HTAB *Tables = NULL;
static HTAB *Children = NULL;
static HTAB *FileMap = NULL;
static HTAB *Targets = NULL;
static int	published_degraded = 0; /* what we already logged about */

/*
 * Bytes of the database's files that no table is charged: files of no
 * relation (PG_VERSION, pg_filenode.map, pg_internal.init) and sequences,
 * as of the last full rescan; part of the database's usage only.
 */
static int64 other_files_bytes = 0;

/*
 * Counts the sizings of a table with its children.  A child stamped with an
 * older count than its table was not found with it the last time (a dropped
 * index whose removal is not processed yet): its size is no longer part of
 * the table's, and a change of its files must not be applied.
 */
static uint64 sizing_count = 0;

void
diskquota_model_init(void)
{
	HASHCTL		ctl;

	ModelContext = AllocSetContextCreate(TopMemoryContext,
										 "diskquota model",
										 ALLOCSET_DEFAULT_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.hcxt = ModelContext;

	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(DQTableEntry);
	Tables = hash_create("diskquota tables", 1024, &ctl,
						 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.entrysize = sizeof(ChildEntry);
	Children = hash_create("diskquota children", 1024, &ctl,
						   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.keysize = sizeof(FileMapKey);
	ctl.entrysize = sizeof(FileMapEntry);
	FileMap = hash_create("diskquota file map", 1024, &ctl,
						  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.keysize = sizeof(DiskquotaTarget);
	ctl.entrysize = sizeof(DQTargetEntry);
	Targets = hash_create("diskquota targets", 256, &ctl,
						  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* Add bytes to one target of a usage hash (Targets, or a temporary one) */
static void
add_usage(HTAB *usage, DiskquotaQuotaType type, Oid oid, Oid spcoid, int64 bytes)
{
	DiskquotaTarget key;
	DQTargetEntry *entry;
	bool		found;

	if (bytes == 0 || !OidIsValid(oid))
		return;
	memset(&key, 0, sizeof(key));
	key.type = type;
	key.oid = oid;
	key.spcoid = spcoid;
	entry = hash_search(usage, &key, HASH_ENTER, &found);
	if (!found)
		entry->used = 0;
	entry->used += bytes;
}

static void
add_to_target(DiskquotaQuotaType type, Oid oid, Oid spcoid, int64 delta)
{
	add_usage(Targets, type, oid, spcoid, delta);
}

/* Add delta bytes to a table's bytes in one tablespace */
static void
add_to_tablespace(DQTableEntry *table, Oid spcoid, int64 delta)
{
	SpcBytes   *bucket = NULL;
	int			i;

	if (table->spc.spcoid == spcoid || !OidIsValid(table->spc.spcoid))
		bucket = &table->spc;
	for (i = 0; bucket == NULL && i < table->nextra_spc; i++)
	{
		if (table->extra_spc[i].spcoid == spcoid)
			bucket = &table->extra_spc[i];
	}
	if (bucket == NULL)
	{
		table->extra_spc = table->extra_spc == NULL ?
			MemoryContextAlloc(ModelContext, sizeof(SpcBytes)) :
			repalloc(table->extra_spc, sizeof(SpcBytes) * (table->nextra_spc + 1));
		bucket = &table->extra_spc[table->nextra_spc++];
		bucket->bytes = 0;
	}
	bucket->spcoid = spcoid;
	bucket->bytes += delta;
}

/* Charge delta bytes of a table in one tablespace to its targets */
static void
charge_targets(DQTableEntry *table, Oid spcoid, int64 delta)
{
	if (delta == 0)
		return;
	add_to_target(DQ_SCHEMA_QUOTA, table->nspoid, InvalidOid, delta);
	add_to_target(DQ_ROLE_QUOTA, table->owner, InvalidOid, delta);
	if (OidIsValid(table->nspoid))
		add_to_target(DQ_SCHEMA_TABLESPACE_QUOTA, table->nspoid, spcoid, delta);
	add_to_target(DQ_ROLE_TABLESPACE_QUOTA, table->owner, spcoid, delta);
	add_to_target(DQ_DATABASE_QUOTA, MyDatabaseId, InvalidOid, delta);
}

/*
 * Charge (or uncharge) delta bytes of a table's files in one tablespace to
 * its schema and owner, to both in that tablespace, and to the database;
 * and keep the table's bytes by tablespace.  The caller maintains size and
 * own_size.
 */
static void
charge_files(DQTableEntry *table, Oid spcoid, int64 delta)
{
	if (delta == 0)
		return;
	charge_targets(table, spcoid, delta);
	add_to_tablespace(table, spcoid, delta);
}

/* Uncharge everything a table was charged, and forget its tablespaces. */
static void
uncharge_table(DQTableEntry *table)
{
	int			i;

	if (OidIsValid(table->spc.spcoid))
		charge_files(table, table->spc.spcoid, -table->spc.bytes);
	for (i = 0; i < table->nextra_spc; i++)
		charge_files(table, table->extra_spc[i].spcoid, -table->extra_spc[i].bytes);
	if (table->extra_spc)
		pfree(table->extra_spc);
	table->extra_spc = NULL;
	table->nextra_spc = 0;
	table->spc.spcoid = InvalidOid;
	table->spc.bytes = 0;
}

/* A new table entry, charged nothing yet */
static void
init_table(DQTableEntry *table)
{
	table->own_size = 0;
	table->main_size = 0;
	table->size = 0;
	table->spc.spcoid = InvalidOid;
	table->spc.bytes = 0;
	table->nextra_spc = 0;
	table->extra_spc = NULL;
}


/* Remember which relation the files of a (not temporary) relation are. */
static void
note_files(Oid relid, Form_pg_class form, RelFileNode rnode)
{
	FileMapKey	key;
	FileMapEntry *entry;

	if (form->relpersistence == RELPERSISTENCE_TEMP)
		return;
	memset(&key, 0, sizeof(key));
	key.spcnode = rnode.spcNode;
	key.relfilenode = rnode.relNode;
	entry = hash_search(FileMap, &key, HASH_ENTER, NULL);
	entry->relid = relid;
	entry->relkind = form->relkind;
	entry->relpersistence = form->relpersistence;
}

/*
 * Size of the relation a pg_class tuple describes (0 if it has no storage),
 * remembering where its files are.
 */
static int64
pg_class_size(Oid relid, Form_pg_class form, FileMapKey *files, int64 *main_size)
{
	RelFileNode rnode;
	BackendId	backend;

	memset(files, 0, sizeof(FileMapKey));
	*main_size = 0;
	if (!diskquota_pg_class_files(relid, form, &rnode, &backend))
		return 0;
	files->spcnode = rnode.spcNode;
	files->relfilenode = rnode.relNode;
	note_files(relid, form, rnode);
	return diskquota_relfilenode_size(rnode, backend, form->relkind, form->relpersistence,
									  main_size);
}

/* Size of a relation by OID via the syscache, 0 if it is gone. */
static int64
relid_size(Oid relid, FileMapKey *files, int64 *main_size)
{
	HeapTuple	tuple;
	int64		size;

	memset(files, 0, sizeof(FileMapKey));
	*main_size = 0;
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		return 0;
	size = pg_class_size(relid, (Form_pg_class) GETSTRUCT(tuple), files, main_size);
	ReleaseSysCache(tuple);
	return size;
}

static void
remember_child(Oid child, Oid table, int64 size, int64 main_size,
			   const FileMapKey *files, uint64 sized)
{
	ChildEntry *entry = hash_search(Children, &child, HASH_ENTER, NULL);

	entry->table = table;
	entry->size = size;
	entry->main_size = main_size;
	entry->sized = sized;
	if (files)
		entry->files = *files;
	else
		memset(&entry->files, 0, sizeof(FileMapKey));
}

/*
 * Sum of the sizes of the indexes of a relation, remembering each index as
 * a child of table.  Scans pg_index by indrelid; no user relation is locked.
 */
static int64
indexes_size(Relation pg_index, Oid indrelid, DQTableEntry *table, uint64 sized)
{
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	int64		total = 0;

	ScanKeyInit(&key, Anum_pg_index_indrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(indrelid));
	scan = systable_beginscan(pg_index, IndexIndrelidIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Oid			indexrelid = ((Form_pg_index) GETSTRUCT(tuple))->indexrelid;
		FileMapKey	files;
		int64		main_size;
		int64		size = relid_size(indexrelid, &files, &main_size);

		total += size;
		charge_files(table, files.spcnode, size);
		remember_child(indexrelid, table->relid, size, main_size, &files, sized);
	}
	systable_endscan(scan);
	return total;
}

/* Drop a table from the model, uncharging its targets. */
static void
forget_table(Oid relid)
{
	DQTableEntry *table = hash_search(Tables, &relid, HASH_FIND, NULL);

	if (table == NULL)
		return;
	uncharge_table(table);
	hash_search(Tables, &relid, HASH_REMOVE, NULL);
}


/*
 * Find the table an index or TOAST relation is charged to.
 */
static Oid
owning_table(Oid relid, Form_pg_class form)
{
	ChildEntry *child;

	if (form->relkind == RELKIND_INDEX)
	{
		HeapTuple	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(relid));
		Oid			indrelid;
		HeapTuple	parent;
		Oid			result;

		if (!HeapTupleIsValid(tuple))
			return InvalidOid;
		indrelid = ((Form_pg_index) GETSTRUCT(tuple))->indrelid;
		ReleaseSysCache(tuple);
		parent = SearchSysCache1(RELOID, ObjectIdGetDatum(indrelid));
		if (!HeapTupleIsValid(parent))
			return InvalidOid;
		result = ((Form_pg_class) GETSTRUCT(parent))->relkind == RELKIND_TOASTVALUE ?
			owning_table(indrelid, (Form_pg_class) GETSTRUCT(parent)) : indrelid;
		ReleaseSysCache(parent);
		return result;
	}
	if (form->relkind == RELKIND_TOASTVALUE)
	{
		Oid			candidate;
		HeapTuple	tuple;
		Oid			result = InvalidOid;

		child = hash_search(Children, &relid, HASH_FIND, NULL);
		if (child)
			return child->table;
		/* TOAST tables are named after their table: pg_toast_<oid> */
		if (sscanf(NameStr(form->relname), "pg_toast_%u", &candidate) != 1)
			return InvalidOid;
		tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(candidate));
		if (!HeapTupleIsValid(tuple))
			return InvalidOid;
		if (((Form_pg_class) GETSTRUCT(tuple))->reltoastrelid == relid)
			result = candidate;
		ReleaseSysCache(tuple);
		return result;
	}
	return InvalidOid;
}

/*
 * Re-size one table (heap, TOAST, indexes) from the catalog and move its
 * charge.  relid may also name an index or a TOAST relation, or a relation
 * that no longer exists.
 */
static void
refresh_relation(Relation pg_index, Oid relid)
{
	HeapTuple	tuple;
	Form_pg_class form;
	DQTableEntry *table;
	bool		found;
	uint64		sized;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
	{
		ChildEntry *child = hash_search(Children, &relid, HASH_FIND, NULL);

		if (child)
		{
			Oid			table = child->table;

			hash_search(Children, &relid, HASH_REMOVE, NULL);
			refresh_relation(pg_index, table);
		}
		else
			forget_table(relid);
		return;
	}
	form = (Form_pg_class) GETSTRUCT(tuple);

	if (form->relkind == RELKIND_INDEX || form->relkind == RELKIND_TOASTVALUE)
	{
		Oid			table = owning_table(relid, form);

		ReleaseSysCache(tuple);
		if (OidIsValid(table))
		{
			remember_child(relid, table, 0, 0, NULL, 0);
			refresh_relation(pg_index, table);
		}
		return;
	}
	if (form->relkind == RELKIND_PARTITIONED_TABLE ||
		form->relkind == RELKIND_PARTITIONED_INDEX)
	{
		/* stands for the partitions below it; no lock is taken */
		ListCell   *lc;

		ReleaseSysCache(tuple);
		foreach(lc, find_all_inheritors(relid, NoLock, NULL))
		{
			if (lfirst_oid(lc) != relid)
				refresh_relation(pg_index, lfirst_oid(lc));
		}
		return;
	}
	if (form->relkind != RELKIND_RELATION && form->relkind != RELKIND_MATVIEW)
	{
		ReleaseSysCache(tuple);
		return;
	}

	/* uncharge what it was charged, then charge each file set anew */
	sized = ++sizing_count;
	table = hash_search(Tables, &relid, HASH_ENTER, &found);
	if (found)
		uncharge_table(table);
	else
		init_table(table);
	table->nspoid = form->relpersistence == RELPERSISTENCE_TEMP ?
		InvalidOid : form->relnamespace;
	table->owner = form->relowner;
	table->sized = sized;
	table->own_size = pg_class_size(relid, form, &table->files, &table->main_size);
	table->size = table->own_size;
	charge_files(table, table->files.spcnode, table->own_size);
	table->size += indexes_size(pg_index, relid, table, sized);
	if (OidIsValid(form->reltoastrelid))
	{
		FileMapKey	toast_files;
		int64		toast_main;
		int64		toast_size = relid_size(form->reltoastrelid, &toast_files, &toast_main);

		remember_child(form->reltoastrelid, relid, toast_size, toast_main,
					   &toast_files, sized);
		charge_files(table, toast_files.spcnode, toast_size);
		table->size += toast_size +
			indexes_size(pg_index, form->reltoastrelid, table, sized);
	}
	ReleaseSysCache(tuple);
}

/*
 * The files of one relation changed (the file-change feed says so), and
 * nothing else: re-size only that relation, without a catalog lookup if the
 * model knows its files, and move the difference to its table.  A change of
 * schema, owner or relfilenode comes with a catalog change, which the hooks
 * report by relation OID and refresh_relation() handles.  A file set the
 * model does not know is looked up in the catalog, and its table fully
 * refreshed; one the catalog does not know belongs to a relation not
 * committed yet (counted through the slots) or already dropped (counted
 * through the drop).
 */
static void
refresh_file(Relation pg_index, const DiskquotaFileRef *file)
{
	FileMapKey	key;
	FileMapEntry *entry;
	DQTableEntry *table = NULL;
	ChildEntry *child = NULL;
	RelFileNode rnode;
	Oid			relid;
	int64		size;
	int64		main_size = 0;

	memset(&key, 0, sizeof(key));
	key.spcnode = file->spcnode;
	key.relfilenode = file->relfilenode;
	entry = hash_search(FileMap, &key, HASH_FIND, NULL);
	if (entry)
	{
		table = hash_search(Tables, &entry->relid, HASH_FIND, NULL);
		if (table == NULL)
		{
			child = hash_search(Children, &entry->relid, HASH_FIND, NULL);
			if (child)
				table = hash_search(Tables, &child->table, HASH_FIND, NULL);
		}
	}
	if (table == NULL)
	{
		/* not known, or its relation is gone: ask the catalog */
		if (entry)
			hash_search(FileMap, &key, HASH_REMOVE, NULL);
		relid = RelidByRelfilenode(file->spcnode, file->relfilenode);
		if (OidIsValid(relid))
			refresh_relation(pg_index, relid);
		return;
	}
	if (memcmp(child ? &child->files : &table->files, &key, sizeof(key)) != 0 ||
		(child && child->sized != table->sized))
	{
		/*
		 * The relation has other files now, or the child is no longer part of
		 * its table (a dropped index): these files are on their way out.
		 */
		hash_search(FileMap, &key, HASH_REMOVE, NULL);
		return;
	}

	rnode.spcNode = file->spcnode;
	rnode.dbNode = MyDatabaseId;
	rnode.relNode = file->relfilenode;
	if (file->forks == (1 << MAIN_FORKNUM))
	{
		/* only the main fork changed (the common case): one stat() */
		int64		old_main = child ? child->main_size : table->main_size;

		main_size = diskquota_fork_size(rnode, InvalidBackendId, MAIN_FORKNUM);
		size = (child ? child->size : table->own_size) + main_size - old_main;
	}
	else
		size = diskquota_relfilenode_size(rnode, InvalidBackendId, entry->relkind,
										  entry->relpersistence, &main_size);
	if (child)
	{
		table->size += size - child->size;
		charge_files(table, key.spcnode, size - child->size);
		child->size = size;
		child->main_size = main_size;
	}
	else
	{
		table->size += size - table->own_size;
		charge_files(table, key.spcnode, size - table->own_size);
		table->own_size = size;
		table->main_size = main_size;
	}
}

/* ----------------------------------------------------------------
 * Full rescan
 * ----------------------------------------------------------------
 */

/* The files of the database on disk, summed per relation file set */
typedef struct DiskFileKey
{
	Oid			spcnode;
	Oid			relfilenode;
	BackendId	backend;		/* InvalidBackendId unless temporary */
} DiskFileKey;

typedef struct DiskFileEntry
{
	DiskFileKey key;
	int64		size;
	int64		main_size;		/* of the main fork */
} DiskFileEntry;


/* Add the relation files of one directory of this database to files. */
static void
scan_directory(HTAB *files, const char *path, Oid spcnode)
{
	DIR		   *dir = AllocateDir(path);
	struct dirent *de;

	if (dir == NULL)
	{
		if (errno != ENOENT)
			ereport(LOG,
					(errcode_for_file_access(),
					 errmsg("diskquota could not open directory \"%s\": %m", path)));
		return;
	}
	while ((de = ReadDirExtended(dir, path, LOG)) != NULL)
	{
		DiskFileKey key;
		DiskFileEntry *entry;
		struct stat st;
		bool		found;
		ForkNumber	fork;

		memset(&key, 0, sizeof(key));
		key.spcnode = spcnode;
		if (!diskquota_parse_relation_file_name(de->d_name, &key.relfilenode,
												&key.backend, &fork))
		{
			/* PG_VERSION, pg_filenode.map, pg_internal.init */
			if (fstatat(dirfd(dir), de->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
				other_files_bytes += st.st_size;
			continue;
		}
		/* relative to the open directory: no path to walk */
		if (fstatat(dirfd(dir), de->d_name, &st, 0) < 0)
		{
			if (errno != ENOENT)
				ereport(LOG,
						(errcode_for_file_access(),
						 errmsg("diskquota could not stat file \"%s/%s\": %m", path, de->d_name)));
			continue;
		}
		entry = hash_search(files, &key, HASH_ENTER, &found);
		if (!found)
		{
			entry->size = 0;
			entry->main_size = 0;
		}
		entry->size += st.st_size;
		if (fork == MAIN_FORKNUM)
			entry->main_size += st.st_size;
	}
	FreeDir(dir);
}

/*
 * Sizes of all relation files of this database, from one listing of each of
 * its directories (base/<db>, and its directory in every tablespace): a
 * file that does not exist costs nothing, and each size is one fstatat().
 */
static HTAB *
scan_database_files(void)
{
	HASHCTL		ctl;
	HTAB	   *files;
	DIR		   *dir;
	struct dirent *de;
	char		path[MAXPGPATH];

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(DiskFileKey);
	ctl.entrysize = sizeof(DiskFileEntry);
	ctl.hcxt = CurrentMemoryContext;
	files = hash_create("diskquota database files", 16384, &ctl,
						HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	other_files_bytes = 0;

	snprintf(path, sizeof(path), "base/%u", MyDatabaseId);
	scan_directory(files, path, DEFAULTTABLESPACE_OID);
	dir = AllocateDir("pg_tblspc");
	while ((de = ReadDirExtended(dir, "pg_tblspc", LOG)) != NULL)
	{
		Oid			spcnode;

		if (sscanf(de->d_name, "%u", &spcnode) != 1)
			continue;
		snprintf(path, sizeof(path), "pg_tblspc/%u/%s/%u", spcnode,
				 TABLESPACE_VERSION_DIRECTORY, MyDatabaseId);
		scan_directory(files, path, spcnode);
	}
	FreeDir(dir);
	return files;
}

/* What a full rescan learns about one relation with storage */
typedef struct ScanRel
{
	Oid			relid;
	char		relkind;
	Oid			nspoid;
	Oid			owner;
	Oid			toastrelid;
	Oid			indrelid;		/* for indexes */
	FileMapKey	files;
	int64		size;
	int64		main_size;
} ScanRel;

/* Forget which relation every file set belongs to (a full rescan renews it). */
static void
clear_file_map(void)
{
	HASH_SEQ_STATUS status;
	FileMapEntry *entry;

	hash_seq_init(&status, FileMap);
	while ((entry = hash_seq_search(&status)) != NULL)
		hash_search(FileMap, &entry->key, HASH_REMOVE, NULL);
}

/*
 * One pass over pg_class: every relation with storage, with its schema,
 * owner and TOAST relation, and the size of its files as listed in files
 * (scan_database_files).  Records in the file map which relation each file
 * set belongs to.  Returns the relations, by OID, in a hash in the current
 * memory context.
 */
static HTAB *
scan_pg_class(HTAB *files)
{
	HASHCTL		ctl;
	HTAB	   *rels;
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tuple;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(ScanRel);
	ctl.hcxt = CurrentMemoryContext;
	rels = hash_create("diskquota rescan", Max(hash_get_num_entries(files), 1024),
					   &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	rel = table_open(RelationRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tuple);
		DiskFileKey key;
		DiskFileEntry *file;
		RelFileNode rnode;
		BackendId	backend;
		ScanRel    *srel;

		if (!diskquota_pg_class_files(form->oid, form, &rnode, &backend))
			continue;
		srel = hash_search(rels, &form->oid, HASH_ENTER, NULL);
		srel->relkind = form->relkind;
		srel->nspoid = form->relpersistence == RELPERSISTENCE_TEMP ?
			InvalidOid : form->relnamespace;
		srel->owner = form->relowner;
		srel->toastrelid = form->reltoastrelid;
		srel->indrelid = InvalidOid;
		memset(&key, 0, sizeof(key));
		key.spcnode = rnode.spcNode;
		key.relfilenode = rnode.relNode;
		key.backend = backend;
		file = hash_search(files, &key, HASH_FIND, NULL);
		srel->size = file ? file->size : 0;
		srel->main_size = file ? file->main_size : 0;
		srel->files.spcnode = rnode.spcNode;
		srel->files.relfilenode = rnode.relNode;
		note_files(form->oid, form, rnode);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return rels;
}

/* One pass over pg_index: the table of every index in rels. */
static void
scan_pg_index(HTAB *rels)
{
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tuple;

	rel = table_open(IndexRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_index form = (Form_pg_index) GETSTRUCT(tuple);
		ScanRel    *srel = hash_search(rels, &form->indexrelid, HASH_FIND, NULL);

		if (srel)
			srel->indrelid = form->indrelid;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/* Empty the model: no table, no child, no target charged. */
static void
clear_model(void)
{
	HASH_SEQ_STATUS status;
	DQTableEntry *table;
	ChildEntry *child;
	DQTargetEntry *target;

	hash_seq_init(&status, Tables);
	while ((table = hash_seq_search(&status)) != NULL)
	{
		if (table->extra_spc)
			pfree(table->extra_spc);
		hash_search(Tables, &table->relid, HASH_REMOVE, NULL);
	}
	hash_seq_init(&status, Children);
	while ((child = hash_seq_search(&status)) != NULL)
		hash_search(Children, &child->relid, HASH_REMOVE, NULL);
	hash_seq_init(&status, Targets);
	while ((target = hash_seq_search(&status)) != NULL)
		hash_search(Targets, &target->key, HASH_REMOVE, NULL);
}

/*
 * Put every table (relkind r or m) of rels into the emptied model with the
 * size of its own files, stamped sized, and remember its TOAST relation as
 * its child.  Nothing is charged to targets yet (charge_all_tables).
 */
static void
add_rescanned_tables(HTAB *rels, uint64 sized)
{
	HASH_SEQ_STATUS status;
	ScanRel    *srel;

	hash_seq_init(&status, rels);
	while ((srel = hash_seq_search(&status)) != NULL)
	{
		DQTableEntry *table;

		if (srel->relkind != RELKIND_RELATION && srel->relkind != RELKIND_MATVIEW)
			continue;
		table = hash_search(Tables, &srel->relid, HASH_ENTER, NULL);
		init_table(table);
		table->nspoid = srel->nspoid;
		table->owner = srel->owner;
		table->files = srel->files;
		table->sized = sized;
		table->own_size = srel->size;
		table->main_size = srel->main_size;
		table->size = srel->size;
		if (srel->size != 0)
			add_to_tablespace(table, srel->files.spcnode, srel->size);
		if (OidIsValid(srel->toastrelid))
			remember_child(srel->toastrelid, srel->relid, 0, 0, NULL, sized);
	}
}

/*
 * Add the size of every TOAST relation and index of rels to the table it
 * is charged to (an index of a TOAST relation to the TOAST relation's
 * table), after add_rescanned_tables; sequences go to other_files_bytes.
 * Nothing is charged to targets yet (charge_all_tables).
 */
static void
add_rescanned_children(HTAB *rels, uint64 sized)
{
	HASH_SEQ_STATUS status;
	ScanRel    *srel;

	hash_seq_init(&status, rels);
	while ((srel = hash_seq_search(&status)) != NULL)
	{
		Oid			owner_table = InvalidOid;
		ChildEntry *child;
		DQTableEntry *table;

		if (srel->relkind == RELKIND_TOASTVALUE)
		{
			child = hash_search(Children, &srel->relid, HASH_FIND, NULL);
			if (child)
				owner_table = child->table;
		}
		else if (srel->relkind == RELKIND_INDEX && OidIsValid(srel->indrelid))
		{
			if (hash_search(Tables, &srel->indrelid, HASH_FIND, NULL))
				owner_table = srel->indrelid;
			else if ((child = hash_search(Children, &srel->indrelid, HASH_FIND, NULL)) != NULL)
				owner_table = child->table;
		}
		else
		{
			/* sequences: in the database's usage, as of this rescan */
			if (srel->relkind == RELKIND_SEQUENCE)
				other_files_bytes += srel->size;
			continue;
		}
		if (!OidIsValid(owner_table))
			continue;
		table = hash_search(Tables, &owner_table, HASH_FIND, NULL);
		if (table == NULL)
			continue;
		table->size += srel->size;
		if (srel->size != 0)
			add_to_tablespace(table, srel->files.spcnode, srel->size);
		remember_child(srel->relid, owner_table, srel->size, srel->main_size,
					   &srel->files, sized);
	}
}

/*
 * Charge every table's bytes to its targets: one charge per table and
 * tablespace, once the model is rebuilt.
 */
static void
charge_all_tables(void)
{
	HASH_SEQ_STATUS status;
	DQTableEntry *table;

	hash_seq_init(&status, Tables);
	while ((table = hash_seq_search(&status)) != NULL)
	{
		int			i;

		if (OidIsValid(table->spc.spcoid))
			charge_targets(table, table->spc.spcoid, table->spc.bytes);
		for (i = 0; i < table->nextra_spc; i++)
			charge_targets(table, table->extra_spc[i].spcoid, table->extra_spc[i].bytes);
	}
}

/*
 * Rebuild the whole model: one listing of the database's directories, one
 * pass over pg_class and one over pg_index.
 */
static void
full_rescan(void)
{
	HTAB	   *files;
	HTAB	   *rels;
	uint64		sized = ++sizing_count;

	/*
	 * The files first: a relation created after the listing was reported at
	 * its commit, a file grown after it by the feed or the hooks, and the
	 * next refresh re-sizes them.
	 */
	files = scan_database_files();
	clear_file_map();
	rels = scan_pg_class(files);
	hash_destroy(files);
	scan_pg_index(rels);

	/* Start the model afresh (the file map was renewed above). */
	clear_model();
	/* Tables first, then charge every index and TOAST relation to one. */
	add_rescanned_tables(rels, sized);
	add_rescanned_children(rels, sized);
	charge_all_tables();

	hash_destroy(rels);
}


/*
 * Run fn(arg), which writes the extension's tables (the caller is
 * connected to SPI), in a subtransaction: if it fails (a read-only
 * database, a row another transaction holds) the refresh goes on, and what
 * it would have written is written at a later refresh; a failure is
 * logged once.
 */
static void
maintain_own_tables(void (*fn) (const void *arg), const void *arg)
{
	static bool failure_logged = false;
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;

	if (RecoveryInProgress())
		return;
	BeginInternalSubTransaction(NULL);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		if (!failure_logged)
			ereport(LOG,
					(errmsg("diskquota could not update its tables in database \"%s\"",
							get_database_name(MyDatabaseId)),
					 errdetail("The statement failed: %s.", edata->message),
					 errhint("Quotas of dropped objects, names of renamed tablespaces and grace periods are stored at a later refresh.")));
		failure_logged = true;
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcontext);
	CurrentResourceOwner = oldowner;
}

/* One statement of maintain_quota_config */
static void
execute_maintenance(const void *arg)
{
	int			ret = diskquota_execute_internal((const char *) arg, 0, NULL, NULL, NULL);

	if (ret < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg_internal("SPI_execute_with_args failed: %s",
								 SPI_result_code_string(ret))));
}

/*
 * Run one statement that tidies quota_config or default_quota: it skips
 * the rows other transactions have locked (they are tidied at a later
 * refresh).
 */
static void
maintain_quota_config(const char *sql)
{
	maintain_own_tables(execute_maintenance, sql);
}

static void
execute_policy_store(const void *arg)
{
	const Oid  *rels = (const Oid *) arg;

	diskquota_policy_state_store(rels[0], rels[1]);
}

/* Has this worker logged its worker_started event? */
static bool worker_start_logged = false;

static void
execute_worker_started(const void *arg)
{
	DiskquotaEvent event;

	memset(&event, 0, sizeof(event));
	event.event = "worker_started";
	event.target.type = -1;
	event.limit_bytes = -1;
	event.used_bytes = -1;
	event.count = 1;
	diskquota_event_log(*(const Oid *) arg, &event);
}

/*
 * The first refresh of a worker logs worker_started (events.c): after a
 * crash or a restart, a listener knows to read the state anew.
 */
static void
log_worker_started(Oid eventsrel)
{
	if (worker_start_logged || !OidIsValid(eventsrel))
		return;
	SPI_connect();
	maintain_own_tables(execute_worker_started, &eventsrel);
	SPI_finish();
	worker_start_logged = true;
}

static void
execute_events_purge(const void *arg)
{
	diskquota_events_purge(*(const Oid *) arg);
}

/* Delete a batch of events older than diskquota.event_retention (events.c) */
static void
purge_events(Oid eventsrel)
{
	if (!OidIsValid(eventsrel) || diskquota_event_retention == 0)
		return;
	SPI_connect();
	if (diskquota_events_expired(eventsrel))
		maintain_own_tables(execute_events_purge, &eventsrel);
	SPI_finish();
}

/* One write_denied or load_stopped event, and whether it was logged */
typedef struct RefusalsEvent
{
	Oid			eventsrel;
	DiskquotaRefusals *refusals;
	bool		logged;
} RefusalsEvent;

static void
execute_refusals_log(const void *arg)
{
	RefusalsEvent *log = (RefusalsEvent *) arg;
	const DiskquotaRefusals *refusals = log->refusals;
	const DiskquotaQuotaPolicy *policy = &refusals->policy;
	bool		expired = policy->state == DQ_STATE_GRACE_EXPIRED;
	DiskquotaEvent event;

	memset(&event, 0, sizeof(event));
	event.event = refusals->kind == DQ_REFUSAL_DENIED ? "write_denied" : "load_stopped";
	event.target = refusals->target;
	event.threshold = expired ? "soft" : "hard";
	event.limit_bytes = expired ? policy->soft_bytes : refusals->quota_bytes;
	event.used_bytes = refusals->used_bytes;
	event.grace_expires_at = policy->grace_expires_at;
	event.count = (int64) refusals->count;
	diskquota_event_log(log->eventsrel, &event);
	log->logged = true;
}

/*
 * The refusals this refresh logged as events, marked logged in the quota
 * map when its transaction commits (refusals_xact_callback): if it does not
 * commit, the events are not in the log, and the next refresh logs them.
 * In the refresh's memory, which lasts until after the commit.
 */
static List *refusals_to_mark = NIL;
static TimestampTz refusals_logged_at = 0;

static void
refusals_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT)
		return;
	if (event == XACT_EVENT_COMMIT)
	{
		foreach(lc, refusals_to_mark)
			diskquota_refusals_logged(lfirst(lc), refusals_logged_at);
	}
	refusals_to_mark = NIL;
}

/*
 * Log the statements refused and stopped since the last such events of
 * their targets (quotamap.c counts them), at most one event per target and
 * kind per diskquota.denied_notify_interval, with how many it folds in.
 */
static void
log_refusals(Oid eventsrel)
{
	static bool callback_registered = false;
	MemoryContext refresh_context = CurrentMemoryContext;
	TimestampTz now = GetCurrentTimestamp();
	List	   *due;
	ListCell   *lc;

	if (!OidIsValid(eventsrel))
		return;
	due = diskquota_refusals_due(now, (int64) diskquota_denied_notify_interval * USECS_PER_SEC);
	if (due == NIL)
		return;
	if (!callback_registered)
	{
		RegisterXactCallback(refusals_xact_callback, NULL);
		callback_registered = true;
	}
	SPI_connect();
	foreach(lc, due)
	{
		RefusalsEvent log = {eventsrel, lfirst(lc), false};

		maintain_own_tables(execute_refusals_log, &log);
		if (log.logged)
		{
			MemoryContext spi_context = MemoryContextSwitchTo(refresh_context);

			refusals_to_mark = lappend(refusals_to_mark, log.refusals);
			MemoryContextSwitchTo(spi_context);
		}
	}
	SPI_finish();
	refusals_logged_at = now;
}

/* One degraded event: the reasons (DQ_DEGRADED_* bits) that started */
typedef struct DegradedEvent
{
	Oid			eventsrel;
	int			degraded;
	bool		logged;
} DegradedEvent;

/* When this worker last logged each reason (by bit number), 0: never */
static TimestampTz degraded_logged_at[8];

static void
execute_degraded_log(const void *arg)
{
	DegradedEvent *log = (DegradedEvent *) arg;
	int			degraded = log->degraded;
	static const struct
	{
		int			bit;
		const char *reason;
	}			reasons[] = {
		{DQ_DEGRADED_ACTIVE_MAP_FULL, "active_map_full"},
		{DQ_DEGRADED_QUOTA_MAP_FULL, "quota_map_full"},
		{DQ_DEGRADED_SLOT_FULL, "backend_slot_full"},
		{DQ_DEGRADED_FEED_OVERFLOW, "feed_overflow"},
		{DQ_DEGRADED_FEED_UNWATCHED, "feed_unwatched"},
		{DQ_DEGRADED_REJECT_UNPUBLISHED, "exceeded_quotas_unpublished"},
	};
	StringInfoData detail;
	DiskquotaEvent event;
	int			i;

	initStringInfo(&detail);
	appendStringInfoString(&detail, "{\"reasons\": [");
	for (i = 0; i < (int) lengthof(reasons); i++)
	{
		if (degraded & reasons[i].bit)
			appendStringInfo(&detail, "%s\"%s\"", detail.data[detail.len - 1] == '[' ? "" : ", ",
							 reasons[i].reason);
	}
	appendStringInfoString(&detail, "]}");
	memset(&event, 0, sizeof(event));
	event.event = "degraded";
	event.target.type = -1;
	event.limit_bytes = -1;
	event.used_bytes = -1;
	event.count = 1;
	event.detail = detail.data;
	diskquota_event_log(log->eventsrel, &event);
	log->logged = true;
}

/*
 * Log a degraded event when a refresh meets a capacity or feed problem the
 * last one did not (the reasons diskquota.status() shows, as its
 * warnings: warn_degraded), each reason at most once per
 * diskquota.denied_notify_interval: a tenant who can make the feed
 * overflow at will does not fill the event log.
 */
static void
log_degraded(Oid eventsrel, int degraded)
{
	TimestampTz now = GetCurrentTimestamp();
	int64		interval = (int64) diskquota_denied_notify_interval * USECS_PER_SEC;
	DegradedEvent log = {eventsrel, 0, false};
	int			bit;

	if (!OidIsValid(eventsrel))
		return;
	for (bit = 0; bit < (int) lengthof(degraded_logged_at); bit++)
	{
		if ((degraded & ~published_degraded & (1 << bit)) &&
			(degraded_logged_at[bit] == 0 || now - degraded_logged_at[bit] >= interval))
			log.degraded |= 1 << bit;
	}
	if (log.degraded == 0)
		return;
	SPI_connect();
	maintain_own_tables(execute_degraded_log, &log);
	SPI_finish();
	for (bit = 0; log.logged && bit < (int) lengthof(degraded_logged_at); bit++)
	{
		if (log.degraded & (1 << bit))
			degraded_logged_at[bit] = now;
	}
}

/*
 * Store what this refresh decided of grace periods, thresholds and states
 * in quota_state (staterel), with the events of the changes in eventsrel
 * (policy.c), if anything changed.
 */
static void
store_policy_state(Oid staterel, Oid eventsrel)
{
	Oid			rels[2] = {staterel, eventsrel};

	if (!OidIsValid(staterel) || !diskquota_policy_state_changed())
		return;
	SPI_connect();
	maintain_own_tables(execute_policy_store, rels);
	SPI_finish();
}

/* The kind of quota a quota_type of quota_config names; -1 if none */
static int
quota_type_of(const char *name, bool v11)
{
	int			type = diskquota_quota_type_of(name);

	if (!v11 && type != DQ_SCHEMA_QUOTA && type != DQ_ROLE_QUOTA)
		return -1;
	return type;
}

/* The extension's tables a refresh reads, and what its version has */
typedef struct ConfigTables
{
	Oid			config;			/* quota_config */
	Oid			pause;			/* pause_state (1.1), else InvalidOid */
	Oid			defaults;		/* default_quota (1.2), else InvalidOid */
	Oid			state;			/* quota_state (1.2), else InvalidOid */
	Oid			events;			/* events (1.2), else InvalidOid */
	Oid			history;		/* usage_history (1.2), else InvalidOid */
	Oid			overuse;		/* quota_overuse (1.2), else InvalidOid */
	bool		v11;			/* quota_config has tablespace columns */
	bool		v12;			/* quota_config has policy columns */
} ConfigTables;

static void
execute_history_store(const void *arg)
{
	const ConfigTables *tables = arg;

	diskquota_history_store(tables->history, tables->overuse, tables->events);
}

/*
 * Write the usage history of the buckets that ended, over-use and levels
 * (history.c), when that is due
 */
static void
store_history(const ConfigTables *tables)
{
	if (!diskquota_history_due())
		return;
	SPI_connect();
	maintain_own_tables(execute_history_store, tables);
	SPI_finish();
}

/*
 * Find the extension's tables quota_config, (version 1.1) pause_state and
 * (version 1.2) default_quota and quota_state, holding a share lock on the
 * extension for the rest of the transaction.  Returns false if the
 * extension is gone, or (with a WARNING) if its quota_config is missing.
 * A table the extension's version lacks is InvalidOid.
 *
 * Never waits for the extension's lock: anyone may hold it exclusively for
 * as long as they like (ALTER FUNCTION pg_temp.f() DEPENDS ON EXTENSION
 * diskquota, in a prepared transaction, survives restarts).  A refresh
 * that cannot have it fails as on a lock timeout, and is retried at the
 * next loop (worker.c); the database is stale, failing closed, if that
 * lasts.  A DROP EXTENSION holds it too until it commits: then the next
 * loop finds the extension gone.
 */
static bool
lock_config_tables(ConfigTables *tables)
{
	Oid			extoid;

	memset(tables, 0, sizeof(*tables));
	extoid = get_extension_oid(DISKQUOTA_EXTENSION_NAME, true);
	if (!OidIsValid(extoid))
		return false;
	if (!ConditionalLockDatabaseObject(ExtensionRelationId, extoid, 0, AccessShareLock))
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("could not obtain lock on extension \"%s\"",
						DISKQUOTA_EXTENSION_NAME)));
	if (get_extension_name(extoid) == NULL)
		return false;
	tables->config = diskquota_own_table(extoid, "quota_config");
	if (!OidIsValid(tables->config))
	{
		ereport(WARNING,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("diskquota does not enforce quotas in database \"%s\"",
						get_database_name(MyDatabaseId)),
				 errdetail("Table \"quota_config\" of extension \"%s\" is missing.",
						   DISKQUOTA_EXTENSION_NAME),
				 errhint("Drop the extension and create it again.")));
		return false;
	}
	tables->v11 = get_attnum(tables->config, "tablespace_oid") != InvalidAttrNumber;
	tables->v12 = get_attnum(tables->config, "enforced") != InvalidAttrNumber;
	if (tables->v11)
		tables->pause = diskquota_own_table(extoid, "pause_state");
	if (tables->v12)
	{
		tables->defaults = diskquota_own_table(extoid, "default_quota");
		tables->state = diskquota_own_table(extoid, "quota_state");
		tables->events = diskquota_own_table(extoid, "events");
		tables->history = diskquota_own_table(extoid, "usage_history");
		tables->overuse = diskquota_own_table(extoid, "quota_overuse");
	}
	return true;
}

/*
 * The columns of quota_config that set the policy of a quota (policy.c
 * reads them), as a version without them has them: NULL where they may
 * be, a hard limit only.
 */
#define POLICY_COLUMNS_V12 \
	"quota_in_bytes, hard_unlimited, soft_bytes, soft_percent, grace," \
	" advisory_bytes, advisory_percent, enforced, notify, reminder_interval"
#define POLICY_COLUMNS_V11 \
	"quota_in_bytes, false, NULL::pg_catalog.int8, NULL::pg_catalog.float8," \
	" NULL::pg_catalog.interval, NULL::pg_catalog.int8[]," \
	" NULL::pg_catalog.float8[], true, true, NULL::pg_catalog.interval"

/*
 * Is the tablespace of a row (spcoid, spcname) still there?  Sets *renamed
 * if it has another name now.
 */
static bool
row_tablespace_exists(Datum spcoid, bool spcname_isnull, Datum spcname,
					  bool *renamed)
{
	HeapTuple	spctuple = SearchSysCache1(TABLESPACEOID, spcoid);

	if (!HeapTupleIsValid(spctuple))
		return false;
	if (spcname_isnull ||
		strcmp(NameStr(((Form_pg_tablespace) GETSTRUCT(spctuple))->spcname),
			   NameStr(*DatumGetName(spcname))) != 0)
		*renamed = true;
	ReleaseSysCache(spctuple);
	return true;
}

/*
 * One row of quota_config (as read_quota_rows selects it) into *quota,
 * with its limits resolved (policy.c).  Returns false for a row that sets
 * no quota: one with a NULL type, a type this version does not have, or
 * no target; and one whose schema, role or tablespace no longer exists,
 * which also sets *gone.  Sets *renamed if the row's tablespace has
 * another name now.
 */
static bool
parse_quota_row(HeapTuple tuple, TupleDesc desc, bool v11,
				DiskquotaQuotaInfo *quota, bool *gone, bool *renamed)
{
	bool		isnull[5];
	Datum		typename = SPI_getbinval(tuple, desc, 1, &isnull[0]);
	Datum		nspoid = SPI_getbinval(tuple, desc, 2, &isnull[1]);
	Datum		roleoid = SPI_getbinval(tuple, desc, 3, &isnull[2]);
	Datum		spcoid = SPI_getbinval(tuple, desc, 4, &isnull[3]);
	Datum		spcname = SPI_getbinval(tuple, desc, 5, &isnull[4]);
	Datum		oid = (Datum) 0;
	bool		row_gone = false;
	int			type;
	DiskquotaPolicyConfig config;

	if (isnull[0])
		return false;
	type = quota_type_of(TextDatumGetCString(typename), v11);
	if (isnull[3])
		spcoid = ObjectIdGetDatum(InvalidOid);
	switch (type)
	{
		case DQ_SCHEMA_QUOTA:
		case DQ_SCHEMA_TABLESPACE_QUOTA:
			if (isnull[1])
				return false;
			oid = nspoid;
			if (!SearchSysCacheExists1(NAMESPACEOID, oid))
				row_gone = true;
			break;
		case DQ_ROLE_QUOTA:
		case DQ_ROLE_TABLESPACE_QUOTA:
			if (isnull[2])
				return false;
			oid = roleoid;
			if (!SearchSysCacheExists1(AUTHOID, oid))
				row_gone = true;
			break;
		case DQ_DATABASE_QUOTA:
			oid = ObjectIdGetDatum(MyDatabaseId);
			break;
		default:
			return false;
	}
	if (OidIsValid(DatumGetObjectId(spcoid)) &&
		!row_tablespace_exists(spcoid, isnull[4], spcname, renamed))
		row_gone = true;
	if (row_gone)
	{
		*gone = true;
		return false;
	}

	memset(quota, 0, sizeof(*quota));
	quota->target.type = type;
	quota->target.oid = DatumGetObjectId(oid);
	quota->target.spcoid = DatumGetObjectId(spcoid);
	diskquota_policy_from_row(tuple, desc, 6, &config);
	diskquota_policy_resolve(&config, &quota->policy);
	quota->quota_bytes = quota->policy.hard_bytes;
	return true;
}

/*
 * The quotas that quota_config (config: its qualified name) sets, as a list
 * of DiskquotaQuotaInfo allocated in context; *gone and *renamed as
 * parse_quota_row says.  The caller is connected to SPI.
 */
static List *
read_quota_rows(const char *config, const ConfigTables *tables,
				MemoryContext context, bool *gone, bool *renamed)
{
	List	   *quotas = NIL;
	bool		v11 = tables->v11;
	uint64		i;
	int			ret;

	ret = SPI_execute(psprintf("SELECT quota_type, schema_id::pg_catalog.oid,"
							   " role_id::pg_catalog.oid, %s, %s, %s"
							   " FROM %s",
							   v11 ? "tablespace_oid" : "NULL::pg_catalog.oid",
							   v11 ? "tablespace_name" : "NULL::pg_catalog.name",
							   tables->v12 ? POLICY_COLUMNS_V12 : POLICY_COLUMNS_V11,
							   config),
					  true, 0);
	if (ret != SPI_OK_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg_internal("SPI_execute failed on table \"quota_config\": %s",
								 SPI_result_code_string(ret))));

	for (i = 0; i < SPI_processed; i++)
	{
		DiskquotaQuotaInfo row;
		DiskquotaQuotaInfo *quota;
		MemoryContext oldcontext;

		if (!parse_quota_row(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, v11,
							 &row, gone, renamed))
			continue;
		oldcontext = MemoryContextSwitchTo(context);
		quota = palloc(sizeof(DiskquotaQuotaInfo));
		*quota = row;
		quotas = lappend(quotas, quota);
		MemoryContextSwitchTo(oldcontext);
	}
	return quotas;
}

/*
 * Delete the rows of quota_config whose schema or role (and in 1.1,
 * tablespace) no longer exists, skipping rows others have locked.
 */
static void
delete_dropped_quota_rows(const char *config, bool v11)
{
	maintain_quota_config(psprintf("DELETE FROM %s WHERE ctid OPERATOR(pg_catalog.=) ANY"
								   " (SELECT q.ctid FROM %s q"
								   "  WHERE (q.schema_id IS NOT NULL AND NOT EXISTS"
								   "         (SELECT FROM pg_catalog.pg_namespace n"
								   "           WHERE n.oid OPERATOR(pg_catalog.=) q.schema_id::pg_catalog.oid))"
								   "  OR (q.role_id IS NOT NULL AND NOT EXISTS"
								   "         (SELECT FROM pg_catalog.pg_authid a"
								   "           WHERE a.oid OPERATOR(pg_catalog.=) q.role_id::pg_catalog.oid))"
								   "%s"
								   "  FOR UPDATE SKIP LOCKED)",
								   config, config,
								   v11 ?
								   "  OR (q.tablespace_oid IS NOT NULL AND NOT EXISTS"
								   "         (SELECT FROM pg_catalog.pg_tablespace t"
								   "           WHERE t.oid OPERATOR(pg_catalog.=) q.tablespace_oid))" :
								   ""));
}

/*
 * Store in quota_config the current name of every tablespace renamed since
 * its quota was set, skipping rows others have locked.
 */
static void
store_renamed_tablespaces(const char *config)
{
	maintain_quota_config(psprintf("UPDATE %s q SET tablespace_name = t.spcname"
								   " FROM pg_catalog.pg_tablespace t"
								   " WHERE t.oid OPERATOR(pg_catalog.=) q.tablespace_oid"
								   " AND q.ctid OPERATOR(pg_catalog.=) ANY"
								   " (SELECT c.ctid FROM %s c"
								   "  JOIN pg_catalog.pg_tablespace s"
								   "    ON s.oid OPERATOR(pg_catalog.=) c.tablespace_oid"
								   "  WHERE c.tablespace_name IS NULL"
								   "     OR c.tablespace_name OPERATOR(pg_catalog.<>) s.spcname"
								   "  FOR UPDATE OF c SKIP LOCKED)",
								   config, config));
}

/* A default quota: its kind of target, tablespace and limits */
typedef struct DefaultQuota
{
	DiskquotaQuotaType type;
	Oid			spcoid;
	DiskquotaQuotaPolicy policy;
} DefaultQuota;

/*
 * The default quotas of default_quota (table: its qualified name), as a
 * list of DefaultQuota allocated in context, with their limits resolved.
 * A row whose tablespace no longer exists is left out and sets *gone;
 * *renamed is set if a row's tablespace has another name now.  The caller
 * is connected to SPI.
 */
static List *
read_default_rows(const char *table, MemoryContext context, bool *gone,
				  bool *renamed)
{
	List	   *defaults = NIL;
	uint64		i;
	int			ret;

	ret = SPI_execute(psprintf("SELECT quota_type, tablespace_oid, tablespace_name,"
							   " quota_in_bytes, false, soft_bytes, soft_percent, grace,"
							   " advisory_bytes, advisory_percent, enforced, notify,"
							   " reminder_interval FROM %s", table),
					  true, 0);
	if (ret != SPI_OK_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg_internal("SPI_execute failed on table \"default_quota\": %s",
								 SPI_result_code_string(ret))));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull[3];
		Datum		typename = SPI_getbinval(tuple, desc, 1, &isnull[0]);
		Datum		spcoid = SPI_getbinval(tuple, desc, 2, &isnull[1]);
		Datum		spcname = SPI_getbinval(tuple, desc, 3, &isnull[2]);
		DiskquotaPolicyConfig config;
		DefaultQuota *def;
		MemoryContext oldcontext;
		int			type;

		if (isnull[0])
			continue;
		type = diskquota_quota_type_of(TextDatumGetCString(typename));
		if (type < 0 || type == DQ_DATABASE_QUOTA)
			continue;
		if (isnull[1] != (type == DQ_SCHEMA_QUOTA || type == DQ_ROLE_QUOTA))
			continue;
		if (!isnull[1] && !row_tablespace_exists(spcoid, isnull[2], spcname, renamed))
		{
			*gone = true;
			continue;
		}
		oldcontext = MemoryContextSwitchTo(context);
		def = palloc0(sizeof(DefaultQuota));
		def->type = type;
		def->spcoid = isnull[1] ? InvalidOid : DatumGetObjectId(spcoid);
		diskquota_policy_from_row(tuple, desc, 4, &config);
		diskquota_policy_resolve(&config, &def->policy);
		def->policy.defaulted = true;
		defaults = lappend(defaults, def);
		MemoryContextSwitchTo(oldcontext);
	}
	return defaults;
}

/*
 * Delete the rows of default_quota whose tablespace no longer exists,
 * skipping rows others have locked.
 */
static void
delete_dropped_default_rows(const char *table)
{
	maintain_quota_config(psprintf("DELETE FROM %s WHERE ctid OPERATOR(pg_catalog.=) ANY"
								   " (SELECT d.ctid FROM %s d"
								   "  WHERE d.tablespace_oid IS NOT NULL AND NOT EXISTS"
								   "         (SELECT FROM pg_catalog.pg_tablespace t"
								   "           WHERE t.oid OPERATOR(pg_catalog.=) d.tablespace_oid)"
								   "  FOR UPDATE SKIP LOCKED)",
								   table, table));
}

/*
 * Is diskquota paused in this database (a row in pause_state)?  False if
 * the table cannot be read.  The caller is connected to SPI.
 */
static bool
read_pause_state(Oid pauserel)
{
	int			ret;
	bool		paused = false;

	ret = SPI_execute(psprintf("SELECT EXISTS (SELECT FROM %s)",
							   diskquota_qualified_name(pauserel)),
					  true, 1);
	if (ret == SPI_OK_SELECT && SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
									  1, &isnull);

		paused = !isnull && DatumGetBool(d);
	}
	return paused;
}

/*
 * Read diskquota.quota_config into *quotas, and in version 1.1 whether
 * diskquota is paused (*paused).  Rows whose schema, role or tablespace no
 * longer exists are deleted (the catalog cannot tell us when a role or a
 * tablespace is dropped from another database), and a tablespace renamed
 * since its quota was set gets its new name stored (pg_dump writes the
 * name, and a restore finds the tablespace by it).  Version 1.0 has no
 * tablespace columns and no pause.
 *
 * The tables are the extension's members in the extension's schema, found
 * by OID (ownobjects.c): a table of the same name elsewhere, or one planted
 * in a schema renamed "diskquota", is never read.  The statements resolve
 * no name through a schema anyone else controls (the worker's search_path
 * is fixed to pg_catalog, and they qualify every name and operator).
 *
 * Returns false, quietly, if the extension is gone: DROP EXTENSION locks
 * the extension before it drops anything, so with our share lock on it a
 * drop waits until this refresh has ended, and one that committed since
 * the refresh began is seen once we hold it.  Raises lock_not_available if
 * another session holds the extension's lock (a DROP EXTENSION under way,
 * or anyone's ALTER ... DEPENDS ON EXTENSION): the worker retries.
 */
static bool
load_quota_config(ConfigTables *tables, List **quotas, List **defaults,
				  bool *paused)
{
	MemoryContext caller = CurrentMemoryContext;
	char	   *config;
	bool		gone = false;
	bool		renamed = false;

	*quotas = NIL;
	*defaults = NIL;
	*paused = false;
	if (!lock_config_tables(tables))
		return false;
	config = diskquota_qualified_name(tables->config);

	SPI_connect();
	*quotas = read_quota_rows(config, tables, caller, &gone, &renamed);
	/* rows of dropped schemas and roles (and in 1.1, tablespaces) */
	if (gone)
		delete_dropped_quota_rows(config, tables->v11);
	if (renamed)
		store_renamed_tablespaces(config);
	if (OidIsValid(tables->defaults))
	{
		char	   *table = diskquota_qualified_name(tables->defaults);

		gone = renamed = false;
		*defaults = read_default_rows(table, caller, &gone, &renamed);
		if (gone)
			delete_dropped_default_rows(table);
		if (renamed)
			store_renamed_tablespaces(table);
	}
	if (OidIsValid(tables->pause))
		*paused = read_pause_state(tables->pause);
	diskquota_policy_state_load(tables->state);
	diskquota_history_load(tables->overuse);
	SPI_finish();
	return true;
}


/*
 * Usage of the files that uncommitted transactions published in their
 * slots, by target.  It is added to the model's usage at publication and
 * forgotten afterwards: after the commit the model finds the relations in
 * the catalog.
 */
static HTAB *
uncommitted_usage(List *files)
{
	HASHCTL		ctl;
	HTAB	   *extra;
	ListCell   *lc;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(DiskquotaTarget);
	ctl.entrysize = sizeof(DQTargetEntry);
	ctl.hcxt = CurrentMemoryContext;
	extra = hash_create("diskquota uncommitted usage", 64, &ctl,
						HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	foreach(lc, files)
	{
		DiskquotaSlotFile *file = lfirst(lc);
		int64		size = diskquota_relfilenode_size(file->rnode, file->backend, '\0', '\0', NULL);
		Oid			spcoid = file->rnode.spcNode;

		add_usage(extra, DQ_SCHEMA_QUOTA, file->nspoid, InvalidOid, size);
		add_usage(extra, DQ_ROLE_QUOTA, file->owner, InvalidOid, size);
		add_usage(extra, DQ_SCHEMA_TABLESPACE_QUOTA, file->nspoid, spcoid, size);
		add_usage(extra, DQ_ROLE_TABLESPACE_QUOTA, file->owner, spcoid, size);
		add_usage(extra, DQ_DATABASE_QUOTA, MyDatabaseId, InvalidOid, size);
	}
	return extra;
}

/*
 * Relations that in-progress transactions created or gave a new
 * relfilenode, found in the catalog (dirty_catalog_files): when their
 * transaction ends, the model re-sizes them (after a commit it finds them
 * in pg_class; after a rollback their files are gone).  Nobody else would
 * report them after a COMMIT PREPARED.  In ModelContext.
 */
typedef struct DirtyPending
{
	TransactionId xid;
	Oid			relid;
} DirtyPending;

static List *dirty_pending = NIL;

/* The table a TOAST relation of an uncommitted transaction belongs to */
static bool
dirty_toast_table(Form_pg_class toast, SnapshotData *dirty, Oid *nspoid, Oid *owner)
{
	Oid			table;
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	if (sscanf(NameStr(toast->relname), "pg_toast_%u", &table) != 1)
		return false;
	rel = table_open(RelationRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_class_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(table));
	scan = systable_beginscan(rel, ClassOidIndexId, true, dirty, 1, &key);
	if (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tuple);

		*nspoid = form->relpersistence == RELPERSISTENCE_TEMP ?
			InvalidOid : form->relnamespace;
		*owner = form->relowner;
		found = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * Are the files of an uncommitted catalog row already counted: those of a
 * relation the model knows (a catalog update that kept the files), or
 * already in files (a slot published them, or an earlier row has them)?
 */
static bool
dirty_files_known(List *files, RelFileNode rnode, BackendId backend)
{
	FileMapKey	key;
	ListCell   *lc;

	memset(&key, 0, sizeof(key));
	key.spcnode = rnode.spcNode;
	key.relfilenode = rnode.relNode;
	if (backend == InvalidBackendId &&
		hash_search(FileMap, &key, HASH_FIND, NULL) != NULL)
		return true;
	foreach(lc, files)
	{
		DiskquotaSlotFile *other = lfirst(lc);

		if (RelFileNodeEquals(other->rnode, rnode) && other->backend == backend)
			return true;
	}
	return false;
}

/*
 * Remember a relation of an in-progress transaction, to be re-sized when
 * the transaction ends (dirty_pending, in ModelContext).
 */
static void
remember_dirty_pending(TransactionId xid, Oid relid)
{
	MemoryContext oldcontext = MemoryContextSwitchTo(ModelContext);
	DirtyPending *pending = palloc(sizeof(DirtyPending));

	pending->xid = xid;
	pending->relid = relid;
	dirty_pending = lappend(dirty_pending, pending);
	MemoryContextSwitchTo(oldcontext);
}

/*
 * Add to *files the files of relations that in-progress transactions,
 * prepared ones included, created or gave a new relfilenode, and that no
 * slot published: those of a transaction that created more than its slot
 * holds, and those of prepared transactions, whose sessions have moved on.
 * pg_class is read with a dirty snapshot, which sees the rows such
 * transactions inserted; a row counts if its inserting transaction is in
 * progress and its files are not those of a relation the model knows (a
 * catalog update that kept the files, e.g. CREATE INDEX on the table).
 * Called only while such files may exist: it reads all of pg_class.
 */
static void
dirty_catalog_files(List **files)
{
	SnapshotData dirty;
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tuple;

	InitDirtySnapshot(dirty);
	rel = table_open(RelationRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, &dirty, 0, NULL);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tuple);
		TransactionId xmin = HeapTupleHeaderGetXmin(tuple->t_data);
		RelFileNode rnode;
		BackendId	backend;
		DiskquotaSlotFile *file;

		if (!TransactionIdIsNormal(xmin) ||
			TransactionIdPrecedes(xmin, TransactionXmin) ||
			!TransactionIdIsInProgress(xmin))
			continue;
		if (!diskquota_pg_class_files(form->oid, form, &rnode, &backend))
			continue;
		if (dirty_files_known(*files, rnode, backend))
			continue;
		file = palloc(sizeof(DiskquotaSlotFile));
		file->rnode = rnode;
		file->backend = backend;
		file->nspoid = form->relpersistence == RELPERSISTENCE_TEMP ?
			InvalidOid : form->relnamespace;
		file->owner = form->relowner;
		/* a TOAST relation is charged to its table (an index has its table's) */
		if (form->relkind == RELKIND_TOASTVALUE &&
			!dirty_toast_table(form, &dirty, &file->nspoid, &file->owner))
			file->nspoid = InvalidOid;
		*files = lappend(*files, file);
		remember_dirty_pending(xmin, form->oid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/*
 * The relations dirty_catalog_files found whose transaction has ended: to
 * be re-sized now.  Returns their OIDs.
 */
static List *
dirty_pending_ended(void)
{
	List	   *ended = NIL;
	List	   *still = NIL;
	ListCell   *lc;
	MemoryContext oldcontext = MemoryContextSwitchTo(ModelContext);

	foreach(lc, dirty_pending)
	{
		DirtyPending *pending = lfirst(lc);

		if (TransactionIdIsInProgress(pending->xid))
			still = lappend(still, pending);
		else
		{
			ended = list_append_unique_oid(ended, pending->relid);
			pfree(pending);
		}
	}
	list_free(dirty_pending);
	dirty_pending = still;
	MemoryContextSwitchTo(oldcontext);
	return ended;
}

/*
 * Which rejected target, if any, does one write of a running statement go
 * into?  Its TOAST and indexes may be in other tablespaces than the table:
 * the model knows which.  A partitioned table stands for its partitions.
 */
static bool
is_rejected_write(const DiskquotaSlotWrite *write, DiskquotaTarget *target)
{
	DQTableEntry *table;

	if (OidIsValid(write->owner))
	{
		int			i;

		if (diskquota_rejected_target(MyDatabaseId, write->nspoid, write->owner,
									  write->spcoid, false, target))
			return true;
		if (!OidIsValid(write->relid) ||
			(table = hash_search(Tables, &write->relid, HASH_FIND, NULL)) == NULL)
			return false;
		if (OidIsValid(table->spc.spcoid) && table->spc.spcoid != write->spcoid &&
			diskquota_rejected_target(MyDatabaseId, write->nspoid, write->owner,
									  table->spc.spcoid, true, target))
			return true;
		for (i = 0; i < table->nextra_spc; i++)
		{
			if (table->extra_spc[i].spcoid != write->spcoid &&
				diskquota_rejected_target(MyDatabaseId, write->nspoid, write->owner,
										  table->extra_spc[i].spcoid, true, target))
				return true;
		}
		return false;
	}
	if (OidIsValid(write->relid))
	{
		ListCell   *lc;

		foreach(lc, find_all_inheritors(write->relid, NoLock, NULL))
		{
			HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(lfirst_oid(lc)));
			DiskquotaSlotWrite part;
			Form_pg_class form;

			if (!HeapTupleIsValid(tuple))
				continue;
			form = (Form_pg_class) GETSTRUCT(tuple);
			memset(&part, 0, sizeof(part));
			part.relid = lfirst_oid(lc);
			part.temp = form->relpersistence == RELPERSISTENCE_TEMP;
			part.nspoid = form->relpersistence == RELPERSISTENCE_TEMP ?
				InvalidOid : form->relnamespace;
			part.owner = form->relowner;
			part.spcoid = OidIsValid(form->reltablespace) ?
				form->reltablespace : MyDatabaseTableSpace;
			ReleaseSysCache(tuple);
			if (form->relkind == RELKIND_PARTITIONED_TABLE)
				continue;
			if (is_rejected_write(&part, target))
				return true;
		}
	}
	return false;
}

/*
 * Say once, when it starts, that the quota map, the active map or a
 * backend slot is too small: the DQ_DEGRADED_* bits of this refresh that
 * the last one did not have.
 */
static void
warn_degraded(int degraded)
{
	if ((degraded & DQ_DEGRADED_REJECT_UNPUBLISHED) &&
		!(published_degraded & DQ_DEGRADED_REJECT_UNPUBLISHED))
		ereport(WARNING,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("diskquota does not enforce some exceeded quotas of database \"%s\"",
						get_database_name(MyDatabaseId)),
				 errdetail("The quota map is full, and every entry of it is an exceeded quota."),
				 errhint("Increase diskquota.max_quotas and restart the server.")));
	else if ((degraded & DQ_DEGRADED_QUOTA_MAP_FULL) &&
			 !(published_degraded & (DQ_DEGRADED_QUOTA_MAP_FULL | DQ_DEGRADED_REJECT_UNPUBLISHED)))
		ereport(WARNING,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("diskquota does not show the usage of some quotas of database \"%s\"",
						get_database_name(MyDatabaseId)),
				 errdetail("The quota map is full. Exceeded quotas take precedence in it, so every quota is still enforced."),
				 errhint("Increase diskquota.max_quotas and restart the server.")));
	if ((degraded & DQ_DEGRADED_ACTIVE_MAP_FULL) &&
		!(published_degraded & DQ_DEGRADED_ACTIVE_MAP_FULL))
		ereport(LOG,
				(errmsg("diskquota fully rescans database \"%s\"",
						get_database_name(MyDatabaseId)),
				 errdetail("The active relation map is full."),
				 errhint("Increase diskquota.max_active_tables and restart the server.")));
	if ((degraded & DQ_DEGRADED_SLOT_FULL) &&
		!(published_degraded & DQ_DEGRADED_SLOT_FULL))
		ereport(WARNING,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("diskquota cannot count all uncommitted relations in database \"%s\"",
						get_database_name(MyDatabaseId)),
				 errdetail("A transaction created or rewrote more relations, or a statement wrote into more, than a backend slot holds; diskquota finds the excess in the catalog or by full rescans, and stops such a statement when any target of the database becomes rejected.")));
	published_degraded = degraded;
}

/*
 * The schemas a default schema quota applies to: all but pg_catalog,
 * pg_toast, information_schema, temporary schemas and the extension's own.
 */
static List *
default_quota_schemas(void)
{
	Relation	rel = table_open(NamespaceRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	Oid			extschema = diskquota_extension_schema(get_extension_oid(DISKQUOTA_EXTENSION_NAME, true));
	List	   *schemas = NIL;
	HeapTuple	tuple;

	while ((tuple = systable_getnext(scan)) != NULL)
	{
		Form_pg_namespace nsp = (Form_pg_namespace) GETSTRUCT(tuple);

		if (nsp->oid == PG_CATALOG_NAMESPACE || nsp->oid == PG_TOAST_NAMESPACE ||
			nsp->oid == extschema ||
			strcmp(NameStr(nsp->nspname), "information_schema") == 0 ||
			isAnyTempNamespace(nsp->oid))
			continue;
		schemas = lappend_oid(schemas, nsp->oid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return schemas;
}

/*
 * The roles a default role quota applies to: the owners of the model's
 * tables, and the roles with a record of over-use (history.c), but
 * superusers.
 */
static List *
default_quota_roles(void)
{
	HASH_SEQ_STATUS status;
	DQTableEntry *table;
	HASHCTL		ctl;
	HTAB	   *seen;
	List	   *roles = NIL;
	List	   *history;
	ListCell   *lc;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(Oid);
	ctl.hcxt = CurrentMemoryContext;
	seen = hash_create("diskquota default quota roles", 64, &ctl,
					   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	hash_seq_init(&status, Tables);
	while ((table = hash_seq_search(&status)) != NULL)
	{
		bool		found;

		if (!OidIsValid(table->owner))
			continue;
		hash_search(seen, &table->owner, HASH_ENTER, &found);
		if (!found && !superuser_arg(table->owner) &&
			SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(table->owner)))
			roles = lappend_oid(roles, table->owner);
	}
	/* and the roles whose over-use, days over or level are kept */
	history = diskquota_history_roles();
	foreach(lc, history)
	{
		Oid			roleid = lfirst_oid(lc);
		bool		found;

		hash_search(seen, &roleid, HASH_ENTER, &found);
		if (!found && !superuser_arg(roleid) &&
			SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(roleid)))
			roles = lappend_oid(roles, roleid);
	}
	list_free(history);
	hash_destroy(seen);
	return roles;
}

/*
 * Add to the configured quotas one for each target a default quota
 * applies to and that has no quota of its own (an explicit quota,
 * 'unlimited' included, always wins).  Defaults are not stored per
 * target: a change of a default applies to all its targets at once.
 */
static List *
expand_default_quotas(List *quotas, List *defaults)
{
	HASHCTL		ctl;
	HTAB	   *explicit;
	ListCell   *lc;
	List	   *schemas = NIL;
	List	   *roles = NIL;
	bool		schemas_read = false;
	bool		roles_read = false;

	if (defaults == NIL)
		return quotas;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(DiskquotaTarget);
	ctl.entrysize = sizeof(DiskquotaTarget);
	ctl.hcxt = CurrentMemoryContext;
	explicit = hash_create("diskquota explicit quotas", 64, &ctl,
						   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	foreach(lc, quotas)
		hash_search(explicit, &((DiskquotaQuotaInfo *) lfirst(lc))->target, HASH_ENTER, NULL);

	foreach(lc, defaults)
	{
		DefaultQuota *def = lfirst(lc);
		bool		schema = def->type == DQ_SCHEMA_QUOTA ||
		def->type == DQ_SCHEMA_TABLESPACE_QUOTA;
		List	   *targets;
		ListCell   *tc;

		if (schema && !schemas_read)
		{
			schemas = default_quota_schemas();
			schemas_read = true;
		}
		else if (!schema && !roles_read)
		{
			roles = default_quota_roles();
			roles_read = true;
		}
		targets = schema ? schemas : roles;
		foreach(tc, targets)
		{
			DiskquotaQuotaInfo *quota = palloc0(sizeof(DiskquotaQuotaInfo));

			quota->target.type = def->type;
			quota->target.oid = lfirst_oid(tc);
			quota->target.spcoid = def->spcoid;
			if (hash_search(explicit, &quota->target, HASH_FIND, NULL) != NULL)
			{
				pfree(quota);
				continue;
			}
			quota->policy = def->policy;
			quota->quota_bytes = def->policy.hard_bytes;
			quotas = lappend(quotas, quota);
		}
	}
	hash_destroy(explicit);
	return quotas;
}

/*
 * The usage of each configured quota: the model's per-target totals, what
 * uncommitted transactions created (extra), and for the database what
 * belongs to no relation (as pg_database_size()).  Sets *near_quota if a
 * quota not exceeded has less than DQ_NEAR_QUOTA_BYTES left.
 */
static void
compute_usage(List *quotas, HTAB *extra, bool *near_quota)
{
	TimestampTz now = diskquota_worker_clock();
	ListCell   *lc;

	foreach(lc, quotas)
	{
		DiskquotaQuotaInfo *quota = lfirst(lc);
		DQTargetEntry *target;

		target = hash_search(Targets, &quota->target, HASH_FIND, NULL);
		quota->used_bytes = target ? target->used : 0;
		target = hash_search(extra, &quota->target, HASH_FIND, NULL);
		if (target)
			quota->used_bytes += target->used;
		if (quota->target.type == DQ_DATABASE_QUOTA)
			quota->used_bytes += other_files_bytes;
		/* its history, over-use and level (history.c), then its state */
		diskquota_history_apply(quota, now);
		/* what it refuses and the limit it enforces (policy.c) */
		diskquota_policy_apply(quota, now);
		if (!quota->rejected && quota->quota_bytes >= 0 &&
			quota->quota_bytes - quota->used_bytes < DQ_NEAR_QUOTA_BYTES)
			*near_quota = true;
	}
}

/*
 * Re-size what changed since the last refresh: the relations the hooks
 * reported (active), with their TOAST and indexes; the files the feed saw
 * change, alone; and the relations running statements write (written),
 * unless already among the active ones.
 */
static void
resize_changed(List *active, List *changed_files, List *written)
{
	Relation	pg_index = table_open(IndexRelationId, AccessShareLock);
	ListCell   *lc;

	/* relations the hooks reported: re-size their tables fully */
	foreach(lc, active)
		refresh_relation(pg_index, lfirst_oid(lc));

	/* files the feed saw change: re-size only their relations */
	foreach(lc, changed_files)
	{
		refresh_file(pg_index, (DiskquotaFileRef *) lfirst(lc));
	}
	foreach(lc, written)
	{
		if (!list_member_oid(active, lfirst_oid(lc)))
			refresh_relation(pg_index, lfirst_oid(lc));
	}
	table_close(pg_index, AccessShareLock);
}

/*
 * Bring the model up to date: re-size what the active map, the feed and
 * the backend slots say changed (everything, by a full rescan, when asked
 * or when they cannot say), and find the files of uncommitted
 * transactions.  Returns the usage of those files, by target.
 */
static HTAB *
update_model(DiskquotaRefresh *refresh)
{
	List	   *changed_files = NIL;
	int			slot_overflow;
	bool		temp_writes;
	bool		dirty;
	List	   *ended;
	bool		writers;
	bool		feed;
	bool		drained;
	List	   *active;
	List	   *written = NIL;
	List	   *files = NIL;

	/*
	 * What running statements charged until now is in what we are about to
	 * size (the headroom protocol: quotamap.c).
	 */
	diskquota_headroom_sizing_starts();

	/*
	 * Drain first: what changes from now on is picked up by the next refresh,
	 * whatever this one sees.  The launcher first records every file change
	 * the feed has queued until now.
	 */
	drained = diskquota_wait_feed_drained();
	active = diskquota_drain_active_relations(MyDatabaseId, &changed_files);
	/* see the catalog changes of the transactions that pushed them */
	AcceptInvalidationMessages();

	/*
	 * What running statements write, and uncommitted relations.  Where the
	 * file-change feed watches the database, the launcher wakes us while the
	 * files of running statements grow, and reports those files: only
	 * temporary relations, whose files cannot be mapped to a relation
	 * (RelidByRelfilenode skips them), are re-sized at every refresh. Without
	 * the feed, or if the launcher did not drain it, all of them are, and we
	 * refresh often on our own.
	 */
	feed = drained && diskquota_feed_watches_my_database();
	writers = diskquota_slot_collect(MyDatabaseId, feed, &written, &files,
									 &slot_overflow, &temp_writes);
	refresh->writers = writers;
	if (slot_overflow != 0)
		refresh->degraded |= DQ_DEGRADED_SLOT_FULL;

	/*
	 * Refresh often while a statement writes what the feed cannot report:
	 * temporary relations, or anything without the feed.
	 */
	refresh->writing = writers && (!feed || temp_writes);

	/*
	 * A statement writes more relations than its slot holds: those left out
	 * are seen growing only by a full rescan, unless the feed reports them. A
	 * transaction created more relations than its slot holds, or a prepared
	 * one created some: their files are found in the catalog.
	 */
	if ((slot_overflow & DQ_SLOT_WRITES_OVERFLOW) &&
		(!feed || (slot_overflow & DQ_SLOT_TEMP_OVERFLOW)))
		refresh->full = true;
	dirty = (slot_overflow & DQ_SLOT_FILES_OVERFLOW) != 0 ||
		diskquota_slot_prepared_pending(MyDatabaseId);
	ended = dirty_pending_ended();
	if (!refresh->full)
		active = list_concat_unique_oid(active, ended);

	if (refresh->full)
		full_rescan();
	else if (active != NIL || changed_files != NIL || written != NIL)
		resize_changed(active, changed_files, written);

	/*
	 * A full rescan (at start: prepared transactions survive a restart, their
	 * records in the slots do not) looks too, and so does every refresh while
	 * a transaction found so is still in progress.
	 */
	if (dirty || refresh->full || dirty_pending != NIL)
		dirty_catalog_files(&files);
	return uncommitted_usage(files);
}

/*
 * One refresh of the model, inside the worker's transaction: update the
 * model, read the configured quotas, publish their usage in the quota
 * map, then stop the statements that write into a rejected target.  Adds
 * to refresh->degraded the DQ_DEGRADED_* bits that apply to this refresh,
 * and sets refresh->writing if some statement of the database writes and
 * the worker must refresh often to see it (no file-change feed), and
 * refresh->near_quota if a quota is near (the feed is then to wake the
 * worker as files grow).  Returns false if the extension was dropped
 * meanwhile: the caller must then clear the quota map.
 */
bool
diskquota_refresh(DiskquotaRefresh *refresh)
{
	List	   *quotas;
	List	   *defaults;
	ConfigTables tables;
	HTAB	   *extra;
	volatile bool *paused_flag;

	extra = update_model(refresh);

	if (!load_quota_config(&tables, &quotas, &defaults, &refresh->paused))
		return false;
	quotas = expand_default_quotas(quotas, defaults);
	paused_flag = diskquota_worker_publish_paused(refresh->slot,
												  refresh->pause_changes,
												  refresh->paused);
	refresh->near_quota = false;
	compute_usage(quotas, extra, &refresh->near_quota);
	refresh->degraded |= diskquota_publish_quotas(quotas);
	log_worker_started(tables.events);
	store_policy_state(tables.state, tables.events);
	store_history(&tables);
	log_refusals(tables.events);
	log_degraded(tables.events, refresh->degraded);
	purge_events(tables.events);
	/* the published map is fresh: no longer stale */
	diskquota_worker_published(refresh->slot);

	/*
	 * DROP EXTENSION clears the quota map when it commits (enforcement.c),
	 * while it still holds its lock on the extension, which our refresh holds
	 * too while it reads the configuration (load_quota_config): so we
	 * published either before its clear, which removed it, or after its
	 * commit, whose invalidation messages we see now, reporting the extension
	 * gone.  Either way no stale quota stays.
	 */
	AcceptInvalidationMessages();
	if (!OidIsValid(get_extension_oid(DISKQUOTA_EXTENSION_NAME, true)))
		return false;

	/* stop the statements that write into a rejected target */
	if (refresh->writers && diskquota_any_rejected() && !*paused_flag)
		diskquota_slot_cancel_writers(MyDatabaseId, is_rejected_write,
									  diskquota_newly_rejected, paused_flag);
	/* maintenance has a budget also where no target is rejected */
	if (refresh->writers && !*paused_flag)
		diskquota_stop_growing_maintenance(paused_flag);

	warn_degraded(refresh->degraded);
	return true;
}


/* Size of one uncommitted file set of a backend slot, by stat() */
static int64
slot_file_bytes(const DiskquotaSlotFile *file)
{
	return diskquota_relfilenode_size(file->rnode, file->backend, '\0', '\0', NULL);
}

/*
 * Stop the maintenance statements (VACUUM FULL, CLUSTER, REINDEX of a
 * relation with a quota) whose new files have outgrown their budget:
 * see diskquota_slot_set_maintenance().  Called at each refresh,
 * after the quotas are published.
 */
void
diskquota_stop_growing_maintenance(volatile bool *paused)
{
	diskquota_slot_check_maintenance(MyDatabaseId, slot_file_bytes, paused);
}
