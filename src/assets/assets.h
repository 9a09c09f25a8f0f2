/*
 * assets.h - the passive imaging asset inventory.
 *
 * One record per IP address (and MAC where the link layer shows a real one),
 * built from `dicom` events: first/last seen, the AE titles a host calls
 * from and answers to, its roles (SCU, SCP), the implementation class UID and
 * version name it announces and the software they identify, the SOP classes
 * it sends and receives, the modality its stored SOP classes imply, and its
 * peers.  A record that is new or changes is published as an `asset` event;
 * the whole inventory is written to <logdir>/assets.json at exit.  One
 * inventory per worker; bounded (ASSET_MAX records, fixed-size lists).
 */
#ifndef MEDSENTRY_ASSETS_ASSETS_H
#define MEDSENTRY_ASSETS_ASSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/addr.h"
#include "core/event.h"
#include "core/json.h"

#define ASSET_MAX            4096
#define ASSET_MAX_AE         8
#define ASSET_MAX_SOP        32
#define ASSET_MAX_MODALITIES 8
#define ASSET_MAX_PEERS      32
#define ASSET_AE_LEN         17
#define ASSET_UID_LEN        65

struct asset {
    struct ip_addr ip;
    bool has_mac;
    uint8_t mac[6];
    uint64_t first_us, last_us;
    uint8_t n_ae_calling, n_ae_called;
    char ae_calling[ASSET_MAX_AE][ASSET_AE_LEN]; /* AE titles it called from */
    char ae_called[ASSET_MAX_AE][ASSET_AE_LEN];  /* AE titles it answered to (accepted) */
    bool scu, scp;
    char impl_class_uid[ASSET_UID_LEN];
    char impl_version[ASSET_AE_LEN];
    const char *software;
    uint8_t n_sop_sent, n_sop_received;
    char sop_sent[ASSET_MAX_SOP][ASSET_UID_LEN];
    char sop_received[ASSET_MAX_SOP][ASSET_UID_LEN];
    uint8_t n_modalities;
    char modalities[ASSET_MAX_MODALITIES][ASSET_AE_LEN];
    uint8_t n_peers;
    struct ip_addr peers[ASSET_MAX_PEERS];
    uint32_t changes; /* times it changed after first seen */
};

/* EVENT_ASSET body. */
struct asset_event {
    const struct asset *asset;
    const char *change; /* "new" or "changed" */
};

struct asset_inventory {
    struct asset *assets;
    size_t n, cap;
    uint64_t dropped;            /* records refused at ASSET_MAX */
    const struct event_bus *bus; /* where asset events go */
};

/* Subscribe to bus for `dicom` events and publish `asset` events on it.  0, or -1 if the bus is full. */
int asset_inventory_init(struct asset_inventory *inv, struct event_bus *bus);
void asset_inventory_free(struct asset_inventory *inv);
/* The event bus subscriber (exposed for tests). */
void asset_on_event(void *user, const struct event *ev);
/* Write every record as a JSON array to path.  0, or -1 with one sentence in err. */
int asset_inventory_write(const struct asset_inventory *inv, const char *path, char *err, size_t errlen);

/* Members of one asset's JSON object (used by the file and by the EVE writer). */
void asset_json(struct jw *w, const struct asset *a);

/* Software an implementation class UID / version name identifies ("DCMTK", "pynetdicom", ...), or NULL. */
const char *asset_impl_software(const char *impl_class_uid, const char *impl_version);

#endif
