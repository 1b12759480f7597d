/*
 * imuhinge_packet.h - encoder and decoder of the imuhinge sensor protocol, version 1.
 *
 * The wire format is specified byte by byte in firmware_protocols/imuhinge/PROTOCOL.md;
 * the host's decoder is imuhinge/protocols/imuhinge_v1.py. This file and
 * imuhinge_packet.c are the single C implementation: the reference firmware
 * (imuhinge_xiao.ino, in this folder because Arduino only compiles files inside the
 * sketch folder) encodes every notification with them, and tests/test_firmware_encoder.py
 * compiles them on the host and checks them byte for byte against the Python codec and
 * firmware_protocols/imuhinge/vectors.json.
 *
 * Plain C99: no allocation, no platform headers, no assumption about the host's byte
 * order (every multi-byte field is written and read one byte at a time, little-endian),
 * so the same file builds for a Cortex-M4 and for the test machine.
 *
 * Functions that produce bytes return the number of bytes written, or a negative
 * IMUHINGE_ERR_* code and write nothing the caller may use.
 */

#ifndef IMUHINGE_PACKET_H
#define IMUHINGE_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Sizes -------------------------------------------------------------------------- */

#define IMUHINGE_VERSION 1u
#define IMUHINGE_HEADER_BYTES 14u
#define IMUHINGE_SAMPLE_BYTES 12u
/* 19 samples make a 242-byte packet: the largest that fits one notification at the
 * largest ATT MTU of 247 (a notification carries MTU - 3 bytes). */
#define IMUHINGE_MAX_SAMPLES 19u
#define IMUHINGE_PACKET_BYTES(count) (IMUHINGE_HEADER_BYTES + IMUHINGE_SAMPLE_BYTES * (count))
#define IMUHINGE_MAX_PACKET_BYTES IMUHINGE_PACKET_BYTES(IMUHINGE_MAX_SAMPLES)
/* A notification spends 3 bytes of the ATT MTU on its opcode and handle. */
#define IMUHINGE_ATT_NOTIFY_OVERHEAD 3u
/* The smallest MTU that carries a one-sample packet (26 bytes): 29. */
#define IMUHINGE_MIN_ATT_MTU (IMUHINGE_PACKET_BYTES(1u) + IMUHINGE_ATT_NOTIFY_OVERHEAD)

/* ---- Header flags (byte 1) ---------------------------------------------------------- */

#define IMUHINGE_FLAG_STREAM_START 0x01u   /* first packet after a start command */
#define IMUHINGE_FLAG_ACC_CLIPPED 0x02u    /* an ax/ay/az in the packet is -32768 or 32767 */
#define IMUHINGE_FLAG_GYR_CLIPPED 0x04u    /* a gx/gy/gz in the packet is -32768 or 32767 */
#define IMUHINGE_FLAG_DEVICE_OVERRUN 0x08u /* samples were dropped just before the packet */
#define IMUHINGE_FLAGS_RESERVED 0xF0u      /* senders set 0; receivers keep and ignore */

/* ---- Settings a device accepts ------------------------------------------------------ */

#define IMUHINGE_MIN_PERIOD_US 2500u  /* 400 Hz */
#define IMUHINGE_MAX_PERIOD_US 40000u /* 25 Hz */
/* Accelerometer full scales: 2, 4, 8, 16 g. Gyroscope: 125, 250, 500, 1000, 2000 deg/s. */

/* ---- Control characteristic --------------------------------------------------------- */

#define IMUHINGE_OP_START 0x01u
#define IMUHINGE_OP_STOP 0x02u
#define IMUHINGE_OP_SET_PERIOD 0x03u
#define IMUHINGE_OP_SET_ACC_RANGE 0x04u
#define IMUHINGE_OP_SET_GYR_RANGE 0x05u

#define IMUHINGE_RESPONSE_BIT 0x80u
#define IMUHINGE_RESPONSE_BYTES 2u
#define IMUHINGE_MAX_COMMAND_BYTES 3u

#define IMUHINGE_STATUS_OK 0x00u
#define IMUHINGE_STATUS_UNKNOWN_OPCODE 0x01u
#define IMUHINGE_STATUS_INVALID_PARAMETER 0x02u
#define IMUHINGE_STATUS_BUSY 0x03u
#define IMUHINGE_STATUS_BAD_LENGTH 0x04u

/* ---- Error codes (negative return values) ------------------------------------------- */

#define IMUHINGE_ERR_NULL (-1)       /* a pointer the call needs is NULL */
#define IMUHINGE_ERR_BUFFER (-2)     /* the output buffer (or sample array) is too small */
#define IMUHINGE_ERR_COUNT (-3)      /* sample count is 0 or more than 19 */
#define IMUHINGE_ERR_PERIOD (-4)     /* period is 0 (any packet) or outside 2500..40000 (device) */
#define IMUHINGE_ERR_ACC_RANGE (-5)  /* acc full scale is 0 (any packet) or not 2/4/8/16 (device) */
#define IMUHINGE_ERR_GYR_RANGE (-6)  /* gyr full scale is 0 (any packet) or not 125..2000 (device) */
#define IMUHINGE_ERR_FLAGS (-7)      /* a device packet sets reserved flag bits */
#define IMUHINGE_ERR_TRUNCATED (-8)  /* fewer bytes than the header or its samples need */
#define IMUHINGE_ERR_VERSION (-9)    /* version byte is not 1 */
#define IMUHINGE_ERR_TRAILING (-10)  /* bytes after the last sample */
#define IMUHINGE_ERR_OPCODE (-11)    /* not a command opcode (or not one a response can carry) */
#define IMUHINGE_ERR_STATUS (-12)    /* not a status code of PROTOCOL.md */
#define IMUHINGE_ERR_RESPONSE (-13)  /* not 2 bytes starting with 0x80 | opcode */

/* ---- GATT UUIDs ---------------------------------------------------------------------- */

/* The 128-bit UUIDs of PROTOCOL.md, least significant byte first: the order BLE stacks
 * (Bluefruit's BLEUuid, the SoftDevice, Zephyr's BT_UUID_128_ENCODE output) store them.
 * imuhinge_service_uuid is c9040001-ca67-45ea-8fc8-abd4f3828215; data and control differ
 * only in the second 16-bit group (0002, 0003). */
extern const uint8_t imuhinge_service_uuid[16];
extern const uint8_t imuhinge_data_uuid[16];
extern const uint8_t imuhinge_control_uuid[16];

/* ---- Data notifications -------------------------------------------------------------- */

/* One sample, raw int16 counts: physical value = raw / 32768 * full scale. */
typedef struct {
    int16_t ax, ay, az;
    int16_t gx, gy, gz;
} imuhinge_sample;

/* The header fields a sender chooses (version is always 1, count is the sample count). */
typedef struct {
    uint8_t flags;
    uint16_t sequence;       /* +1 per notification sent, wraps 65535 -> 0 */
    uint32_t device_time_us; /* device clock at sample 0, wraps 2^32 - 1 -> 0 */
    uint16_t period_us;      /* sample k was taken at device_time_us + k * period_us */
    uint8_t acc_range_g;
    uint16_t gyr_range_dps;
} imuhinge_header;

/* Encode a packet as a device may send it: 1..19 samples, period 2500..40000 us, full
 * scales from the lists above, no reserved flag bits. Returns 14 + 12 * count, or
 * IMUHINGE_ERR_NULL/_COUNT/_PERIOD/_ACC_RANGE/_GYR_RANGE/_FLAGS/_BUFFER. The flags are
 * written as given: the firmware ORs in imuhinge_clip_flags() and the stream flags. */
int imuhinge_encode_packet(const imuhinge_header *header, const imuhinge_sample *samples,
                           size_t count, uint8_t *out, size_t out_size);

/* Encode any packet a host decodes (the checks of PROTOCOL.md's "What a host refuses"
 * and nothing more): 1..19 samples, nonzero period and full scales, any flags. For test
 * tools and emulated sensors that must produce unusual but valid packets, such as the
 * vectors with every header field at its largest value. */
int imuhinge_encode_packet_lenient(const imuhinge_header *header, const imuhinge_sample *samples,
                                   size_t count, uint8_t *out, size_t out_size);

/* Decode a notification with the host's checks, in the host's order (length of the
 * header, version, count, length, nonzero period and full scales). Writes the header and
 * up to max_samples samples; returns the sample count, or IMUHINGE_ERR_TRUNCATED,
 * _VERSION, _COUNT, _TRAILING, _PERIOD, _ACC_RANGE, _GYR_RANGE, _BUFFER or _NULL. */
int imuhinge_decode_packet(const uint8_t *data, size_t len, imuhinge_header *header,
                           imuhinge_sample *samples, size_t max_samples);

/* IMUHINGE_FLAG_ACC_CLIPPED and/or IMUHINGE_FLAG_GYR_CLIPPED for the samples that have
 * an accelerometer or gyroscope value at full scale (-32768 or 32767), else 0. */
uint8_t imuhinge_clip_flags(const imuhinge_sample *samples, size_t count);

/* How many samples one notification carries at this ATT MTU: at most 19, fewer when
 * 14 + 12 * n must fit MTU - 3 bytes, 0 below the minimum MTU of 29. */
size_t imuhinge_samples_per_notification(uint16_t att_mtu);

/* True for the values a device accepts (and a control command may carry). */
bool imuhinge_valid_period(uint32_t period_us);
bool imuhinge_valid_acc_range(uint32_t range_g);
bool imuhinge_valid_gyr_range(uint32_t range_dps);

/* A sensor's raw count converted to protocol counts: raw * numerator / denominator,
 * rounded to nearest (halves away from zero) and saturated to int16. A raw value at the
 * sensor's own limit (-32768 or 32767) maps to the protocol's limit of the same sign, so
 * a saturated sensor always sets the clipped flag. Why: the protocol's count is
 * full_scale / 32768, a sensor's sensitivity often is not (the LSM6DS3 gyroscope's is
 * 14.7 % coarser), and the host scales by the protocol. denominator must be > 0;
 * otherwise the result is 0. */
int16_t imuhinge_rescale(int16_t raw, int32_t numerator, int32_t denominator);

/* ---- Control characteristic ---------------------------------------------------------- */

/* A control command: value is the period (us) or full scale; 0 for start and stop. */
typedef struct {
    uint8_t opcode;
    uint16_t value;
} imuhinge_command;

/* Encode a command (host side). Returns 1, 2 or 3, or IMUHINGE_ERR_NULL, _OPCODE,
 * _PERIOD, _ACC_RANGE, _GYR_RANGE or _BUFFER; the value of start and stop is ignored. */
int imuhinge_encode_command(const imuhinge_command *command, uint8_t *out, size_t out_size);

/* Parse one control write (device side) without regard to the device's state. Returns
 * the status the write earns on its own: IMUHINGE_STATUS_OK, _UNKNOWN_OPCODE,
 * _BAD_LENGTH or _INVALID_PARAMETER, checked in that order (an empty write is
 * _BAD_LENGTH). command gets the opcode (0 for an empty write) and, when the length is
 * right, the value. */
uint8_t imuhinge_parse_command(const uint8_t *data, size_t len, imuhinge_command *command);

/* Encode the answer [0x80 | opcode, status]. Returns 2, or IMUHINGE_ERR_NULL, _OPCODE
 * (opcode above 0x7f), _STATUS (not 0..4) or _BUFFER. */
int imuhinge_encode_response(uint8_t opcode, uint8_t status, uint8_t *out, size_t out_size);

/* Decode an answer as the host does: exactly 2 bytes, first with bit 0x80 set. Returns
 * 0 and sets *opcode and *status, or IMUHINGE_ERR_RESPONSE or _NULL. */
int imuhinge_decode_response(const uint8_t *data, size_t len, uint8_t *opcode, uint8_t *status);

/* What the device is set to; only the control commands change it. */
typedef struct {
    uint16_t period_us;
    uint8_t acc_range_g;
    uint16_t gyr_range_dps;
    bool streaming;
} imuhinge_settings;

/* Apply one control write to settings exactly as PROTOCOL.md says a device does, and
 * fill response with the 2-byte answer to notify. Checks, first failure wins: opcode
 * known (01), parameter length (04), not streaming for the set commands (03), value
 * (02). Start sets streaming (also when already streaming: the caller then restarts the
 * stream), stop clears it. Settings change only on IMUHINGE_STATUS_OK. Returns the
 * status. Kept free of hardware so the host tests run the firmware's own logic. */
uint8_t imuhinge_handle_command(imuhinge_settings *settings, const uint8_t *data, size_t len,
                                uint8_t response[IMUHINGE_RESPONSE_BYTES]);

/* ---- Battery ------------------------------------------------------------------------- */

/* A single-cell LiPo's charge in percent (0..100, the Battery Level characteristic's
 * range) from its voltage under light load, by linear interpolation in a typical
 * discharge curve: 4.20 V is 100 %, 3.30 V and below 0 %. A rough gauge, good enough to
 * say "charge me" before a session. */
uint8_t imuhinge_battery_percent(uint32_t millivolts);

#ifdef __cplusplus
}
#endif

#endif /* IMUHINGE_PACKET_H */
