/*-------------------------------------------------------------------------
 *
 * selfservice.h
 *		What a tenant may see of the quotas (selfservice.c): the targets
 *		that are its own.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		selfservice.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef DISKQUOTA_SELFSERVICE_H
#define DISKQUOTA_SELFSERVICE_H

#include "diskquota_common.h"

extern bool diskquota_target_is_mine(const DiskquotaTarget *target);

#endif							/* DISKQUOTA_SELFSERVICE_H */
