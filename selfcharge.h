/*-------------------------------------------------------------------------
 *
 * selfcharge.h
 *		Self-charging: a running statement measures its own growth and
 *		stops itself at its first poll past the quota (selfcharge.c).
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		selfcharge.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_SELFCHARGE_H
#define DISKQUOTA_SELFCHARGE_H

#include "executor/execdesc.h"
#include "executor/tuptable.h"
#include "tcop/dest.h"

#include "diskquota_common.h"

/* The charging receiver of a nesting level, as saved and restored */
typedef struct DiskquotaChargeDest
{
	DestReceiver *dest;
	bool		(*real) (TupleTableSlot *slot, DestReceiver *self);
	bool		ready;
	bool		joined;
} DiskquotaChargeDest;

/* Writing executions (enforcement.c) */
extern bool diskquota_self_charge_begin(QueryDesc *queryDesc, int depth);
extern void diskquota_self_charge_join(QueryDesc *queryDesc);
extern void diskquota_self_charge_unwrap(int first_node);
extern void diskquota_self_charge_end(bool restore, bool charge_rest);

/* CREATE TABLE AS, SELECT INTO, CREATE and REFRESH MATERIALIZED VIEW */
extern bool diskquota_charges_dest(QueryDesc *queryDesc);
extern void diskquota_self_charge_dest_begin(QueryDesc *queryDesc);
extern bool diskquota_self_charge_dest_end(bool completed,
										   DiskquotaTarget *stopped_target);
extern void diskquota_charge_rebuilt_indexes(Oid relid);

/* COPY FROM */
extern bool diskquota_copy_charge_begin(Oid relid);
extern void diskquota_copy_charge_end(bool completed);

/* The state enforcement.c reads and sets */
extern bool diskquota_self_charging(void);
extern void diskquota_self_charge_due_from_handler(void);
extern int	diskquota_self_charge_depth(void);
extern bool diskquota_self_charge_stopped(void);
extern const DiskquotaTarget *diskquota_self_charge_stopped_target(void);
extern int	diskquota_self_charge_wrapped(void);
extern Oid	diskquota_self_charge_new_relid(void);
extern void diskquota_self_charge_set_new_relid(Oid relid);
extern void diskquota_self_charge_dest_save(DiskquotaChargeDest *saved);
extern void diskquota_self_charge_dest_restore(const DiskquotaChargeDest *saved);
extern void diskquota_self_charge_at_abort(void);

#endif							/* DISKQUOTA_SELFCHARGE_H */
