/*-------------------------------------------------------------------------
 *
 * quotamodel.c
 *		The worker's model of disk usage, and the shared quota map it
 *		publishes for enforcement and for the quota views.
 *
 * The model lives in the worker's memory.  It knows, for every table
 * (relkind r or m) of its database, the schema and owner it is charged to
 * and its total size: what pg_total_relation_size() reports, i.e. heap,
 * TOAST and indexes, all forks, measured by stat() of the files, so the
 * worker never opens or locks a user relation.  Indexes and TOAST relations
 * are charged to their table; temporary tables to their owner only.  The
 * model keeps per-target totals (bytes per schema, per role) and updates
 * them by the change of each table it re-sizes.
 *
 * A full rescan (at start, on request, and every
 * diskquota.full_rescan_interval) lists the database's directories (one
 * fstatat() per existing file) and reads pg_class and pg_index once; it
 * also records which relation each file set belongs to (FileMap).
 * Otherwise a refresh re-sizes only what the active-relation map
 * (activetable.c) names: a relation the hooks reported, with its TOAST and
 * indexes; a file the feed reported, alone and without a catalog lookup.
 * So its cost is in proportion to what changed.  Each refresh then reads quota_config and
 * publishes, for each configured quota, the usage and whether it is
 * exceeded (used >= quota) into the shared quota map.
 *
 * Shared state: QuotaMap (fixed-size hash keyed by database, quota type and
 * target OID) and QuotaMapHeader.
 *
 * Locking: QuotaMapHeader->lock protects QuotaMap and every entry's fields.
 * The worker takes it exclusive once per refresh to publish its database's
 * entries; backends take it shared for a lookup or a copy.  It is held for
 * no longer than one pass over the map and never together with another
 * diskquota lock.  nrejected counts rejected entries over all databases; it
 * is only changed with the lock held exclusive, and read without the lock
 * by backends as a fast path: when it reads zero nothing is rejected.
 * A backend that reads a value just before the worker publishes a new
 * rejection behaves as if its statement had started a moment earlier.
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
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_tablespace_d.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "common/relpath.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/lmgr.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/relfilenodemap.h"
#include "utils/relmapper.h"
#include "utils/syscache.h"

#include "diskquota.h"

/* ----------------------------------------------------------------
 * Shared quota map
 * ----------------------------------------------------------------
 */

typedef struct QuotaMapKey
{
	Oid			dbid;
	int32		type;			/* DiskquotaQuotaType */
	Oid			targetoid;
} QuotaMapKey;

typedef struct QuotaMapEntry
{
	QuotaMapKey key;
	int64		quota_bytes;
	int64		used_bytes;
	bool		rejected;
	bool		seen;			/* worker's mark during publication */
} QuotaMapEntry;

typedef struct QuotaMapHeader
{
	LWLock	   *lock;
	pg_atomic_uint32 nrejected;
} QuotaMapHeader;

static QuotaMapHeader *QuotaHeader = NULL;
static HTAB *QuotaMap = NULL;

Size
diskquota_quota_shmem_size(void)
{
	return add_size(MAXALIGN(sizeof(QuotaMapHeader)),
					hash_estimate_size(diskquota_max_quotas, sizeof(QuotaMapEntry)));
}

/* Called from the shmem startup hook, with AddinShmemInitLock held. */
void
diskquota_quota_shmem_init(void)
{
	HASHCTL		ctl;
	bool		found;

	QuotaHeader = ShmemInitStruct("diskquota quota map header",
								  sizeof(QuotaMapHeader), &found);
	if (!found)
	{
		QuotaHeader->lock = &(GetNamedLWLockTranche("diskquota"))[DQ_LWLOCK_QUOTA].lock;
		pg_atomic_init_u32(&QuotaHeader->nrejected, 0);
	}

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(QuotaMapKey);
	ctl.entrysize = sizeof(QuotaMapEntry);
	QuotaMap = ShmemInitHash("diskquota quota map",
							 diskquota_max_quotas, diskquota_max_quotas,
							 &ctl, HASH_ELEM | HASH_BLOBS | HASH_FIXED_SIZE);
}

/* Is any target rejected, in any database?  Lock-free; see header. */
bool
diskquota_any_rejected(void)
{
	return QuotaHeader != NULL &&
		pg_atomic_read_u32(&QuotaHeader->nrejected) > 0;
}

bool
diskquota_is_rejected(Oid dbid, DiskquotaQuotaType type, Oid targetoid)
{
	QuotaMapKey key;
	QuotaMapEntry *entry;
	bool		result = false;

	memset(&key, 0, sizeof(key));
	key.dbid = dbid;
	key.type = type;
	key.targetoid = targetoid;

	LWLockAcquire(QuotaHeader->lock, LW_SHARED);
	entry = hash_search(QuotaMap, &key, HASH_FIND, NULL);
	if (entry)
		result = entry->rejected;
	LWLockRelease(QuotaHeader->lock);
	return result;
}

/* A palloc'd copy of the published entries of a database. */
List *
diskquota_copy_quota_map(Oid dbid)
{
	HASH_SEQ_STATUS status;
	QuotaMapEntry *entry;
	List	   *result = NIL;

	LWLockAcquire(QuotaHeader->lock, LW_SHARED);
	hash_seq_init(&status, QuotaMap);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		DiskquotaQuotaInfo *info;

		if (entry->key.dbid != dbid)
			continue;
		info = palloc(sizeof(DiskquotaQuotaInfo));
		info->type = entry->key.type;
		info->targetoid = entry->key.targetoid;
		info->quota_bytes = entry->quota_bytes;
		info->used_bytes = entry->used_bytes;
		info->rejected = entry->rejected;
		result = lappend(result, info);
	}
	LWLockRelease(QuotaHeader->lock);
	return result;
}

/* Remove every entry of a database (extension dropped, or not monitored). */
void
diskquota_clear_quota_map(Oid dbid)
{
	HASH_SEQ_STATUS status;
	QuotaMapEntry *entry;

	if (QuotaHeader == NULL)
		return;
	LWLockAcquire(QuotaHeader->lock, LW_EXCLUSIVE);
	hash_seq_init(&status, QuotaMap);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (entry->key.dbid != dbid)
			continue;
		if (entry->rejected)
			pg_atomic_fetch_sub_u32(&QuotaHeader->nrejected, 1);
		hash_search(QuotaMap, &entry->key, HASH_REMOVE, NULL);
	}
	LWLockRelease(QuotaHeader->lock);
}

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

/* A table (relkind r or m) and everything charged to it */
typedef struct DQTableEntry
{
	Oid			relid;
	Oid			nspoid;			/* InvalidOid for temporary tables */
	Oid			owner;
	FileMapKey	files;			/* the table's own files, when sized */
	int64		own_size;		/* of the table's own files */
	int64		size;			/* own_size and the sizes of its children */
	uint64		sized;			/* when it was last sized with its children */
} DQTableEntry;

/* An index or TOAST relation, the table it is charged to, and its size */
typedef struct ChildEntry
{
	Oid			relid;
	Oid			table;
	FileMapKey	files;			/* its files, when sized */
	int64		size;
	uint64		sized;			/* when it was sized with its table */
} ChildEntry;

/* Bytes charged to one schema or role */
typedef struct TargetKey
{
	int32		type;
	Oid			targetoid;
} TargetKey;

typedef struct DQTargetEntry
{
	TargetKey	key;
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
static int	published_degraded = 0;	/* what we already logged about */

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
	ctl.keysize = sizeof(TargetKey);
	ctl.entrysize = sizeof(DQTargetEntry);
	Targets = hash_create("diskquota targets", 256, &ctl,
						  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static void
add_to_target(DiskquotaQuotaType type, Oid targetoid, int64 delta)
{
	TargetKey	key;
	DQTargetEntry *entry;
	bool		found;

	if (delta == 0 || !OidIsValid(targetoid))
		return;
	memset(&key, 0, sizeof(key));
	key.type = type;
	key.targetoid = targetoid;
	entry = hash_search(Targets, &key, HASH_ENTER, &found);
	if (!found)
		entry->used = 0;
	entry->used += delta;
}

/* Charge (or uncharge) delta bytes of a table to its schema and owner. */
static void
charge_table(DQTableEntry *table, int64 delta)
{
	add_to_target(DQ_SCHEMA_QUOTA, table->nspoid, delta);
	add_to_target(DQ_ROLE_QUOTA, table->owner, delta);
}

/*
 * Size of the files of one relation file set, by stat(): all segments of
 * the forks the relation can have (relkind and relpersistence as in
 * pg_class; relkind '\0' when unknown: every fork).  Missing files count as
 * empty: a relation being dropped or created.
 */
static int64
relfilenode_size(RelFileNode rnode, BackendId backend, char relkind,
				 char relpersistence)
{
	int64		total = 0;
	ForkNumber	fork;

	for (fork = 0; fork <= MAX_FORKNUM; fork++)
	{
		char	   *path;
		char		segpath[MAXPGPATH];
		BlockNumber segno;

		/* only unlogged relations have an init fork, only tables a VM */
		if (relkind != '\0' &&
			((fork == INIT_FORKNUM && relpersistence != RELPERSISTENCE_UNLOGGED) ||
			 (fork == VISIBILITYMAP_FORKNUM && relkind == RELKIND_INDEX)))
			continue;
		path = relpathbackend(rnode, backend, fork);
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
				break;			/* no further segment */
		}
		pfree(path);
	}
	return total;
}

/*
 * Where the files of the relation a pg_class tuple describes are: false if
 * it has none (no storage, shared, or the temporary relation of a session
 * that is gone).
 */
static bool
pg_class_files(Oid relid, Form_pg_class form, RelFileNode *rnode,
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
pg_class_size(Oid relid, Form_pg_class form, FileMapKey *files)
{
	RelFileNode rnode;
	BackendId	backend;

	memset(files, 0, sizeof(FileMapKey));
	if (!pg_class_files(relid, form, &rnode, &backend))
		return 0;
	files->spcnode = rnode.spcNode;
	files->relfilenode = rnode.relNode;
	note_files(relid, form, rnode);
	return relfilenode_size(rnode, backend, form->relkind, form->relpersistence);
}

/* Size of a relation by OID via the syscache, 0 if it is gone. */
static int64
relid_size(Oid relid, FileMapKey *files)
{
	HeapTuple	tuple;
	int64		size;

	memset(files, 0, sizeof(FileMapKey));
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		return 0;
	size = pg_class_size(relid, (Form_pg_class) GETSTRUCT(tuple), files);
	ReleaseSysCache(tuple);
	return size;
}

static void
remember_child(Oid child, Oid table, int64 size, const FileMapKey *files,
			   uint64 sized)
{
	ChildEntry *entry = hash_search(Children, &child, HASH_ENTER, NULL);

	entry->table = table;
	entry->size = size;
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
indexes_size(Relation pg_index, Oid indrelid, Oid table, uint64 sized)
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
		int64		size = relid_size(indexrelid, &files);

		total += size;
		remember_child(indexrelid, table, size, &files, sized);
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
	charge_table(table, -table->size);
	hash_search(Tables, &relid, HASH_REMOVE, NULL);
}

/* Set a table's attribution and sizes, moving its charge accordingly. */
static void
set_table(Oid relid, Oid nspoid, Oid owner, const FileMapKey *files,
		  int64 own_size, int64 size, uint64 sized)
{
	bool		found;
	DQTableEntry *table = hash_search(Tables, &relid, HASH_ENTER, &found);

	if (found)
		charge_table(table, -table->size);
	table->nspoid = nspoid;
	table->owner = owner;
	table->files = *files;
	table->sized = sized;
	table->own_size = own_size;
	table->size = size;
	charge_table(table, size);
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
	int64		own_size;
	int64		size;
	Oid			nspoid;
	FileMapKey	files;
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
			remember_child(relid, table, 0, NULL, 0);
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

	sized = ++sizing_count;
	own_size = pg_class_size(relid, form, &files);
	size = own_size + indexes_size(pg_index, relid, relid, sized);
	if (OidIsValid(form->reltoastrelid))
	{
		FileMapKey	toast_files;
		int64		toast_size = relid_size(form->reltoastrelid, &toast_files);

		remember_child(form->reltoastrelid, relid, toast_size, &toast_files, sized);
		size += toast_size + indexes_size(pg_index, form->reltoastrelid, relid, sized);
	}
	nspoid = form->relpersistence == RELPERSISTENCE_TEMP ? InvalidOid : form->relnamespace;
	set_table(relid, nspoid, form->relowner, &files, own_size, size, sized);
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
		 * The relation has other files now, or the child is no longer part
		 * of its table (a dropped index): these files are on their way out.
		 */
		hash_search(FileMap, &key, HASH_REMOVE, NULL);
		return;
	}

	rnode.spcNode = file->spcnode;
	rnode.dbNode = MyDatabaseId;
	rnode.relNode = file->relfilenode;
	size = relfilenode_size(rnode, InvalidBackendId, entry->relkind,
							entry->relpersistence);
	if (child)
	{
		table->size += size - child->size;
		charge_table(table, size - child->size);
		child->size = size;
	}
	else
	{
		table->size += size - table->own_size;
		charge_table(table, size - table->own_size);
		table->own_size = size;
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
} DiskFileEntry;

/*
 * Parse a relation file name: <n>, <n>_<fork>, <n>.<segment>,
 * t<backend>_<n>...  False for other files (PG_VERSION, pg_filenode.map,
 * pg_internal.init, the temporary files of a rewrite).
 */
static bool
parse_relation_file_name(const char *name, Oid *relfilenode, BackendId *backend)
{
	const char *p = name;
	char	   *end;
	unsigned long n;

	*backend = InvalidBackendId;
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
	n = strtoul(p, &end, 10);
	if (n == 0 || n > PG_UINT32_MAX)
		return false;
	if (*end == '_')
	{
		end++;
		if (strncmp(end, "fsm", 3) == 0)
			end += 3;
		else if (strncmp(end, "vm", 2) == 0)
			end += 2;
		else if (strncmp(end, "init", 4) == 0)
			end += 4;
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

		memset(&key, 0, sizeof(key));
		key.spcnode = spcnode;
		if (!parse_relation_file_name(de->d_name, &key.relfilenode, &key.backend))
			continue;
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
			entry->size = 0;
		entry->size += st.st_size;
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
} ScanRel;

/*
 * Rebuild the whole model: one listing of the database's directories, one
 * pass over pg_class and one over pg_index.
 */
static void
full_rescan(void)
{
	HASHCTL		ctl;
	HTAB	   *files;
	HTAB	   *rels;
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tuple;
	HASH_SEQ_STATUS status;
	ScanRel    *srel;
	DQTableEntry *table;
	uint64		sized = ++sizing_count;

	/*
	 * The files first: a relation created after the listing was reported
	 * at its commit, a file grown after it by the feed or the hooks, and
	 * the next refresh re-sizes them.
	 */
	files = scan_database_files();
	{
		FileMapEntry *entry;

		hash_seq_init(&status, FileMap);
		while ((entry = hash_seq_search(&status)) != NULL)
			hash_search(FileMap, &entry->key, HASH_REMOVE, NULL);
	}

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

		if (!pg_class_files(form->oid, form, &rnode, &backend))
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
		srel->files.spcnode = rnode.spcNode;
		srel->files.relfilenode = rnode.relNode;
		note_files(form->oid, form, rnode);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	hash_destroy(files);

	rel = table_open(IndexRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_index form = (Form_pg_index) GETSTRUCT(tuple);

		srel = hash_search(rels, &form->indexrelid, HASH_FIND, NULL);
		if (srel)
			srel->indrelid = form->indrelid;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	/* Start the model afresh (the file map was renewed above). */
	hash_seq_init(&status, Tables);
	while ((table = hash_seq_search(&status)) != NULL)
		hash_search(Tables, &table->relid, HASH_REMOVE, NULL);
	{
		ChildEntry *child;
		DQTargetEntry *target;

		hash_seq_init(&status, Children);
		while ((child = hash_seq_search(&status)) != NULL)
			hash_search(Children, &child->relid, HASH_REMOVE, NULL);
		hash_seq_init(&status, Targets);
		while ((target = hash_seq_search(&status)) != NULL)
			hash_search(Targets, &target->key, HASH_REMOVE, NULL);
	}

	/* Tables first, then charge every index and TOAST relation to one. */
	hash_seq_init(&status, rels);
	while ((srel = hash_seq_search(&status)) != NULL)
	{
		if (srel->relkind != RELKIND_RELATION && srel->relkind != RELKIND_MATVIEW)
			continue;
		table = hash_search(Tables, &srel->relid, HASH_ENTER, NULL);
		table->nspoid = srel->nspoid;
		table->owner = srel->owner;
		table->files = srel->files;
		table->sized = sized;
		table->own_size = srel->size;
		table->size = srel->size;
		if (OidIsValid(srel->toastrelid))
			remember_child(srel->toastrelid, srel->relid, 0, NULL, sized);
	}
	hash_seq_init(&status, rels);
	while ((srel = hash_seq_search(&status)) != NULL)
	{
		Oid			owner_table = InvalidOid;
		ChildEntry *child;

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
			continue;
		if (!OidIsValid(owner_table))
			continue;
		table = hash_search(Tables, &owner_table, HASH_FIND, NULL);
		if (table == NULL)
			continue;
		table->size += srel->size;
		remember_child(srel->relid, owner_table, srel->size, &srel->files, sized);
	}

	hash_seq_init(&status, Tables);
	while ((table = hash_seq_search(&status)) != NULL)
		charge_table(table, table->size);

	hash_destroy(rels);
}

/* One configured quota, as read from quota_config */
typedef struct ConfiguredQuota
{
	DiskquotaQuotaType type;
	Oid			targetoid;
	int64		quota_bytes;
} ConfiguredQuota;

/*
 * Read diskquota.quota_config, skipping quotas whose schema or role no
 * longer exists.
 */
static List *
load_quota_config(void)
{
	List	   *result = NIL;
	MemoryContext caller = CurrentMemoryContext;
	uint64		i;
	int			ret;

	SPI_connect();
	ret = SPI_execute("SELECT CASE quota_type WHEN 'schema' THEN 0 ELSE 1 END,"
					  " coalesce(schema_id::oid, role_id::oid), quota_in_bytes"
					  " FROM diskquota.quota_config"
					  " WHERE quota_type IN ('schema', 'role')",
					  true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "diskquota could not read quota_config: error code %d", ret);

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull[3];
		Datum		type = SPI_getbinval(tuple, desc, 1, &isnull[0]);
		Datum		oid = SPI_getbinval(tuple, desc, 2, &isnull[1]);
		Datum		bytes = SPI_getbinval(tuple, desc, 3, &isnull[2]);
		ConfiguredQuota *quota;
		MemoryContext oldcontext;

		if (isnull[0] || isnull[1] || isnull[2])
			continue;
		if (DatumGetInt32(type) == DQ_SCHEMA_QUOTA &&
			!SearchSysCacheExists1(NAMESPACEOID, oid))
			continue;
		if (DatumGetInt32(type) == DQ_ROLE_QUOTA &&
			!SearchSysCacheExists1(AUTHOID, oid))
			continue;

		oldcontext = MemoryContextSwitchTo(caller);
		quota = palloc(sizeof(ConfiguredQuota));
		quota->type = DatumGetInt32(type);
		quota->targetoid = DatumGetObjectId(oid);
		quota->quota_bytes = DatumGetInt64(bytes);
		result = lappend(result, quota);
		MemoryContextSwitchTo(oldcontext);
	}
	SPI_finish();
	return result;
}

/*
 * Replace the published entries of this database by the configured quotas
 * and their usage.  Returns DQ_DEGRADED_QUOTA_MAP_FULL if some could not be
 * published.  Sets *near_quota if a quota not exceeded has less than
 * DQ_NEAR_QUOTA_BYTES left.
 */
static int
publish_quotas(List *quotas, HTAB *extra, bool *near_quota)
{
	HASH_SEQ_STATUS status;
	QuotaMapEntry *entry;
	ListCell   *lc;
	int			degraded = 0;

	LWLockAcquire(QuotaHeader->lock, LW_EXCLUSIVE);
	hash_seq_init(&status, QuotaMap);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (entry->key.dbid == MyDatabaseId)
			entry->seen = false;
	}

	foreach(lc, quotas)
	{
		ConfiguredQuota *quota = lfirst(lc);
		QuotaMapKey key;
		TargetKey	tkey;
		DQTargetEntry *target;
		bool		found;
		bool		rejected;

		memset(&key, 0, sizeof(key));
		key.dbid = MyDatabaseId;
		key.type = quota->type;
		key.targetoid = quota->targetoid;
		entry = hash_search(QuotaMap, &key, HASH_ENTER_NULL, &found);
		if (entry == NULL)
		{
			degraded |= DQ_DEGRADED_QUOTA_MAP_FULL;
			continue;
		}
		if (!found)
			entry->rejected = false;

		memset(&tkey, 0, sizeof(tkey));
		tkey.type = quota->type;
		tkey.targetoid = quota->targetoid;
		target = hash_search(Targets, &tkey, HASH_FIND, NULL);

		entry->quota_bytes = quota->quota_bytes;
		entry->used_bytes = target ? target->used : 0;
		target = hash_search(extra, &tkey, HASH_FIND, NULL);
		if (target)
			entry->used_bytes += target->used;
		entry->seen = true;
		rejected = entry->used_bytes >= entry->quota_bytes;
		if (!rejected && entry->quota_bytes - entry->used_bytes < DQ_NEAR_QUOTA_BYTES)
			*near_quota = true;
		if (rejected && !entry->rejected)
			pg_atomic_fetch_add_u32(&QuotaHeader->nrejected, 1);
		else if (!rejected && entry->rejected)
			pg_atomic_fetch_sub_u32(&QuotaHeader->nrejected, 1);
		entry->rejected = rejected;
	}

	hash_seq_init(&status, QuotaMap);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (entry->key.dbid != MyDatabaseId || entry->seen)
			continue;
		if (entry->rejected)
			pg_atomic_fetch_sub_u32(&QuotaHeader->nrejected, 1);
		hash_search(QuotaMap, &entry->key, HASH_REMOVE, NULL);
	}
	LWLockRelease(QuotaHeader->lock);
	return degraded;
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
	ctl.keysize = sizeof(TargetKey);
	ctl.entrysize = sizeof(DQTargetEntry);
	ctl.hcxt = CurrentMemoryContext;
	extra = hash_create("diskquota uncommitted usage", 64, &ctl,
						HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	foreach(lc, files)
	{
		DiskquotaSlotFile *file = lfirst(lc);
		int64		size = relfilenode_size(file->rnode, file->backend, '\0', '\0');
		TargetKey	key;
		DQTargetEntry *entry;
		bool		found;
		int			i;

		for (i = 0; i < 2; i++)
		{
			memset(&key, 0, sizeof(key));
			key.type = i == 0 ? DQ_SCHEMA_QUOTA : DQ_ROLE_QUOTA;
			key.targetoid = i == 0 ? file->nspoid : file->owner;
			if (!OidIsValid(key.targetoid))
				continue;
			entry = hash_search(extra, &key, HASH_ENTER, &found);
			if (!found)
				entry->used = 0;
			entry->used += size;
		}
	}
	return extra;
}

/*
 * Which rejected target, if any, does one write of a running statement go
 * into?  A partitioned table stands for its partitions.
 */
static bool
is_rejected_write(const DiskquotaSlotWrite *write, DiskquotaQuotaType *type,
				  Oid *oid)
{
	if (OidIsValid(write->nspoid) &&
		diskquota_is_rejected(MyDatabaseId, DQ_SCHEMA_QUOTA, write->nspoid))
	{
		*type = DQ_SCHEMA_QUOTA;
		*oid = write->nspoid;
		return true;
	}
	if (OidIsValid(write->owner) &&
		diskquota_is_rejected(MyDatabaseId, DQ_ROLE_QUOTA, write->owner))
	{
		*type = DQ_ROLE_QUOTA;
		*oid = write->owner;
		return true;
	}
	if (OidIsValid(write->relid) && !OidIsValid(write->owner))
	{
		ListCell   *lc;

		foreach(lc, find_all_inheritors(write->relid, NoLock, NULL))
		{
			HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(lfirst_oid(lc)));
			DiskquotaSlotWrite part;
			Form_pg_class form;
			bool		rejected;

			if (!HeapTupleIsValid(tuple))
				continue;
			form = (Form_pg_class) GETSTRUCT(tuple);
			memset(&part, 0, sizeof(part));
			part.relid = lfirst_oid(lc);
			part.temp = form->relpersistence == RELPERSISTENCE_TEMP;
			part.nspoid = form->relpersistence == RELPERSISTENCE_TEMP ?
				InvalidOid : form->relnamespace;
			part.owner = form->relowner;
			ReleaseSysCache(tuple);
			if (form->relkind == RELKIND_PARTITIONED_TABLE)
				continue;
			rejected = is_rejected_write(&part, type, oid);
			if (rejected)
				return true;
		}
	}
	return false;
}

/*
 * One refresh of the model, inside the worker's transaction.  Sets the
 * DQ_DEGRADED_* bits that apply to this refresh, and *writing if some
 * statement of the database writes and the worker must refresh often to
 * see it (no file-change feed), and *near_quota if a quota is near (the
 * feed is then to wake the worker as files grow).  Returns false if the
 * extension was dropped meanwhile: the caller must then clear the quota map.
 */
bool
diskquota_refresh(bool full, int *degraded, bool *writing, bool *near_quota)
{
	List	   *changed_files = NIL;
	bool		files_overflow;
	bool		writers;
	bool		feed;
	bool		drained;
	List	   *active;
	List	   *written = NIL;
	List	   *files = NIL;
	List	   *quotas;
	HTAB	   *extra;
	ListCell   *lc;

	/*
	 * Drain first: what changes from now on is picked up by the next
	 * refresh, whatever this one sees.  The launcher first records every
	 * file change the feed has queued until now.
	 */
	drained = diskquota_wait_feed_drained();
	active = diskquota_drain_active_relations(MyDatabaseId, &changed_files);
	/* see the catalog changes of the transactions that pushed them */
	AcceptInvalidationMessages();

	/*
	 * What running statements write, and uncommitted relations.  Where the
	 * file-change feed watches the database, the launcher wakes us while
	 * the files of running statements grow, and reports those files: only
	 * temporary relations, whose files cannot be mapped to a relation
	 * (RelidByRelfilenode skips them), are re-sized at every refresh.
	 * Without the feed, or if the launcher did not drain it, all of them
	 * are, and we refresh often on our own.
	 */
	feed = drained && diskquota_feed_watches_my_database();
	writers = diskquota_slot_collect(MyDatabaseId, feed, &written, &files,
									 &files_overflow);
	if (files_overflow)
		*degraded |= DQ_DEGRADED_SLOT_FULL;
	*writing = writers && !feed;

	if (full)
		full_rescan();
	else if (active != NIL || changed_files != NIL || written != NIL)
	{
		Relation	pg_index = table_open(IndexRelationId, AccessShareLock);

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
	extra = uncommitted_usage(files);

	quotas = load_quota_config();
	*near_quota = false;
	*degraded |= publish_quotas(quotas, extra, near_quota);

	/*
	 * DROP EXTENSION clears the quota map when it ends, after sending its
	 * invalidation messages.  If it ended before our publication, we see
	 * those messages now and report the extension gone; if after, its clear
	 * removed what we published.  Either way no stale quota stays.
	 */
	AcceptInvalidationMessages();
	if (!OidIsValid(get_extension_oid(DISKQUOTA_EXTENSION_NAME, true)))
		return false;

	/* stop the statements that write into a rejected target */
	if (writers && diskquota_any_rejected())
		diskquota_slot_cancel_writers(MyDatabaseId, is_rejected_write);

	if ((*degraded & DQ_DEGRADED_QUOTA_MAP_FULL) &&
		!(published_degraded & DQ_DEGRADED_QUOTA_MAP_FULL))
		ereport(WARNING,
				(errmsg("diskquota quota map is full: some quotas of database \"%s\" are not enforced",
						get_database_name(MyDatabaseId)),
				 errhint("Increase diskquota.max_quotas and restart the server.")));
	if ((*degraded & DQ_DEGRADED_ACTIVE_MAP_FULL) &&
		!(published_degraded & DQ_DEGRADED_ACTIVE_MAP_FULL))
		ereport(LOG,
				(errmsg("diskquota active relation map is full: database \"%s\" is fully rescanned",
						get_database_name(MyDatabaseId)),
				 errhint("Increase diskquota.max_active_tables and restart the server.")));
	if ((*degraded & DQ_DEGRADED_SLOT_FULL) &&
		!(published_degraded & DQ_DEGRADED_SLOT_FULL))
		ereport(WARNING,
				(errmsg("diskquota cannot count all uncommitted relations in database \"%s\"",
						get_database_name(MyDatabaseId)),
				 errdetail("A transaction created or rewrote more relations, or a statement wrote into more, than a backend slot holds; the excess is counted after commit and checked before the next statement.")));
	published_degraded = *degraded;
	return true;
}
