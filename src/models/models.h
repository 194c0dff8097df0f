/* SPDX-License-Identifier: MIT */
/*
 * The device models dmastack ships. The machine binds each to every
 * function of its platform kind (a `nic` line is a NIC model), and
 * platform text may name them in `pcidev ... model=NAME` as any model.
 */
#ifndef _DMASTACK_MODELS_MODELS_H
#define _DMASTACK_MODELS_MODELS_H

#include <dmastack/sim-model.h>

extern const struct sim_model sim_model_dmaengine;
extern const struct sim_model sim_model_gpu;
extern const struct sim_model sim_model_nic;

#endif /* _DMASTACK_MODELS_MODELS_H */
