/*
 * imuhinge_packet.c - encoder and decoder of the imuhinge sensor protocol, version 1.
 *
 * See imuhinge_packet.h for the interface and firmware_protocols/imuhinge/PROTOCOL.md
 * for the bytes. Every field goes through put_u16/put_u32/get_u16/get_u32, which move
 * one byte at a time with shifts, so the result does not depend on the host's byte order
 * or on struct layout; no struct is ever copied to or from the wire.
 */

#include "imuhinge_packet.h"

/* c9040001-ca67-45ea-8fc8-abd4f3828215 and its 0002/0003 siblings, least significant
 * byte first. tests/test_firmware_encoder.py checks them against the Python constants. */
#define IMUHINGE_UUID_LE(group2)                                                            \
    {0x15u, 0x82u, 0x82u, 0xf3u, 0xd4u, 0xabu, 0xc8u, 0x8fu,                                \
     0xeau, 0x45u, 0x67u, 0xcau, (group2), 0x00u, 0x04u, 0xc9u}

const uint8_t imuhinge_service_uuid[16] = IMUHINGE_UUID_LE(0x01u);
const uint8_t imuhinge_data_uuid[16] = IMUHINGE_UUID_LE(0x02u);
const uint8_t imuhinge_control_uuid[16] = IMUHINGE_UUID_LE(0x03u);

/* ---- Little-endian field access --------------------------------------------------------- */

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)((v >> 8) & 0xFFu);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)((v >> 8) & 0xFFu);
    p[2] = (uint8_t)((v >> 16) & 0xFFu);
    p[3] = (uint8_t)((v >> 24) & 0xFFu);
}

/* Two's complement by value: converting a negative int16 to uint16 is defined as adding
 * 65536, so this is the same bit pattern on every C implementation. */
static void put_i16(uint8_t *p, int16_t v)
{
    put_u16(p, (uint16_t)v);
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] | (uint16_t)((uint16_t)p[1] << 8));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* The inverse of put_i16 without relying on the implementation-defined conversion of an
 * out-of-range unsigned value to a signed type. */
static int16_t get_i16(const uint8_t *p)
{
    uint16_t u = get_u16(p);
    if (u < 0x8000u) {
        return (int16_t)u;
    }
    return (int16_t)((int32_t)u - 65536);
}

/* ---- Validity of settings ------------------------------------------------------------ */

bool imuhinge_valid_period(uint32_t period_us)
{
    return period_us >= IMUHINGE_MIN_PERIOD_US && period_us <= IMUHINGE_MAX_PERIOD_US;
}

bool imuhinge_valid_acc_range(uint32_t range_g)
{
    return range_g == 2u || range_g == 4u || range_g == 8u || range_g == 16u;
}

bool imuhinge_valid_gyr_range(uint32_t range_dps)
{
    return range_dps == 125u || range_dps == 250u || range_dps == 500u || range_dps == 1000u ||
           range_dps == 2000u;
}

/* ---- Data notifications ----------------------------------------------------------------- */

/* Write a packet whose fields the callers have already checked. */
static int write_packet(const imuhinge_header *header, const imuhinge_sample *samples, size_t count,
                        uint8_t *out, size_t out_size)
{
    size_t length = IMUHINGE_PACKET_BYTES(count);
    size_t i;
    uint8_t *p;

    if (out == NULL) {
        return IMUHINGE_ERR_NULL;
    }
    if (out_size < length) {
        return IMUHINGE_ERR_BUFFER;
    }
    out[0] = (uint8_t)IMUHINGE_VERSION;
    out[1] = header->flags;
    put_u16(out + 2, header->sequence);
    put_u32(out + 4, header->device_time_us);
    put_u16(out + 8, header->period_us);
    out[10] = header->acc_range_g;
    put_u16(out + 11, header->gyr_range_dps);
    out[13] = (uint8_t)count;
    p = out + IMUHINGE_HEADER_BYTES;
    for (i = 0; i < count; ++i) {
        put_i16(p + 0, samples[i].ax);
        put_i16(p + 2, samples[i].ay);
        put_i16(p + 4, samples[i].az);
        put_i16(p + 6, samples[i].gx);
        put_i16(p + 8, samples[i].gy);
        put_i16(p + 10, samples[i].gz);
        p += IMUHINGE_SAMPLE_BYTES;
    }
    return (int)length;
}

/* The checks shared by both encoders: what a host refuses. */
static int check_decodable(const imuhinge_header *header, const imuhinge_sample *samples, size_t count)
{
    if (header == NULL || samples == NULL) {
        return IMUHINGE_ERR_NULL;
    }
    if (count == 0u || count > IMUHINGE_MAX_SAMPLES) {
        return IMUHINGE_ERR_COUNT;
    }
    if (header->period_us == 0u) {
        return IMUHINGE_ERR_PERIOD;
    }
    if (header->acc_range_g == 0u) {
        return IMUHINGE_ERR_ACC_RANGE;
    }
    if (header->gyr_range_dps == 0u) {
        return IMUHINGE_ERR_GYR_RANGE;
    }
    return 0;
}

int imuhinge_encode_packet_lenient(const imuhinge_header *header, const imuhinge_sample *samples,
                                   size_t count, uint8_t *out, size_t out_size)
{
    int error = check_decodable(header, samples, count);
    if (error != 0) {
        return error;
    }
    return write_packet(header, samples, count, out, out_size);
}

int imuhinge_encode_packet(const imuhinge_header *header, const imuhinge_sample *samples, size_t count,
                           uint8_t *out, size_t out_size)
{
    int error = check_decodable(header, samples, count);
    if (error != 0) {
        return error;
    }
    if (!imuhinge_valid_period(header->period_us)) {
        return IMUHINGE_ERR_PERIOD;
    }
    if (!imuhinge_valid_acc_range(header->acc_range_g)) {
        return IMUHINGE_ERR_ACC_RANGE;
    }
    if (!imuhinge_valid_gyr_range(header->gyr_range_dps)) {
        return IMUHINGE_ERR_GYR_RANGE;
    }
    if ((header->flags & IMUHINGE_FLAGS_RESERVED) != 0u) {
        return IMUHINGE_ERR_FLAGS;
    }
    return write_packet(header, samples, count, out, out_size);
}

int imuhinge_decode_packet(const uint8_t *data, size_t len, imuhinge_header *header,
                           imuhinge_sample *samples, size_t max_samples)
{
    size_t count;
    size_t expected;
    size_t i;
    const uint8_t *p;

    if (data == NULL || header == NULL) {
        return IMUHINGE_ERR_NULL;
    }
    if (len < IMUHINGE_HEADER_BYTES) {
        return IMUHINGE_ERR_TRUNCATED;
    }
    if (data[0] != IMUHINGE_VERSION) {
        return IMUHINGE_ERR_VERSION;
    }
    count = data[13];
    if (count == 0u || count > IMUHINGE_MAX_SAMPLES) {
        return IMUHINGE_ERR_COUNT;
    }
    expected = IMUHINGE_PACKET_BYTES(count);
    if (len < expected) {
        return IMUHINGE_ERR_TRUNCATED;
    }
    if (len > expected) {
        return IMUHINGE_ERR_TRAILING;
    }
    header->flags = data[1];
    header->sequence = get_u16(data + 2);
    header->device_time_us = get_u32(data + 4);
    header->period_us = get_u16(data + 8);
    header->acc_range_g = data[10];
    header->gyr_range_dps = get_u16(data + 11);
    if (header->period_us == 0u) {
        return IMUHINGE_ERR_PERIOD;
    }
    if (header->acc_range_g == 0u) {
        return IMUHINGE_ERR_ACC_RANGE;
    }
    if (header->gyr_range_dps == 0u) {
        return IMUHINGE_ERR_GYR_RANGE;
    }
    if (samples == NULL) {
        return IMUHINGE_ERR_NULL;
    }
    if (max_samples < count) {
        return IMUHINGE_ERR_BUFFER;
    }
    p = data + IMUHINGE_HEADER_BYTES;
    for (i = 0; i < count; ++i) {
        samples[i].ax = get_i16(p + 0);
        samples[i].ay = get_i16(p + 2);
        samples[i].az = get_i16(p + 4);
        samples[i].gx = get_i16(p + 6);
        samples[i].gy = get_i16(p + 8);
        samples[i].gz = get_i16(p + 10);
        p += IMUHINGE_SAMPLE_BYTES;
    }
    return (int)count;
}

static bool at_full_scale(int16_t v)
{
    return v == INT16_MIN || v == INT16_MAX;
}

uint8_t imuhinge_clip_flags(const imuhinge_sample *samples, size_t count)
{
    uint8_t flags = 0u;
    size_t i;

    if (samples == NULL) {
        return 0u;
    }
    for (i = 0; i < count; ++i) {
        const imuhinge_sample *s = &samples[i];
        if (at_full_scale(s->ax) || at_full_scale(s->ay) || at_full_scale(s->az)) {
            flags |= IMUHINGE_FLAG_ACC_CLIPPED;
        }
        if (at_full_scale(s->gx) || at_full_scale(s->gy) || at_full_scale(s->gz)) {
            flags |= IMUHINGE_FLAG_GYR_CLIPPED;
        }
    }
    return flags;
}

size_t imuhinge_samples_per_notification(uint16_t att_mtu)
{
    size_t payload;
    size_t count;

    if (att_mtu < IMUHINGE_MIN_ATT_MTU) {
        return 0u;
    }
    payload = (size_t)att_mtu - IMUHINGE_ATT_NOTIFY_OVERHEAD;
    count = (payload - IMUHINGE_HEADER_BYTES) / IMUHINGE_SAMPLE_BYTES;
    return count < IMUHINGE_MAX_SAMPLES ? count : IMUHINGE_MAX_SAMPLES;
}

int16_t imuhinge_rescale(int16_t raw, int32_t numerator, int32_t denominator)
{
    int64_t product;
    int64_t scaled;

    if (denominator <= 0) {
        return 0;
    }
    if (raw == INT16_MAX) {
        return INT16_MAX;
    }
    if (raw == INT16_MIN) {
        return INT16_MIN;
    }
    /* Round half away from zero; C99 division truncates toward zero. */
    product = (int64_t)raw * (int64_t)numerator;
    if (product >= 0) {
        scaled = (2 * product + denominator) / (2 * (int64_t)denominator);
    } else {
        scaled = -((-2 * product + denominator) / (2 * (int64_t)denominator));
    }
    if (scaled > INT16_MAX) {
        return INT16_MAX;
    }
    if (scaled < INT16_MIN) {
        return INT16_MIN;
    }
    return (int16_t)scaled;
}

/* ---- Control characteristic ------------------------------------------------------------- */

/* The length of a command with this opcode, parameter bytes included; 0 if unknown. */
static size_t command_length(uint8_t opcode)
{
    switch (opcode) {
    case IMUHINGE_OP_START:
    case IMUHINGE_OP_STOP:
        return 1u;
    case IMUHINGE_OP_SET_ACC_RANGE:
        return 2u;
    case IMUHINGE_OP_SET_PERIOD:
    case IMUHINGE_OP_SET_GYR_RANGE:
        return 3u;
    default:
        return 0u;
    }
}

/* Whether value is acceptable for the set command opcode (start and stop take none). */
static bool command_value_valid(uint8_t opcode, uint16_t value)
{
    switch (opcode) {
    case IMUHINGE_OP_SET_PERIOD:
        return imuhinge_valid_period(value);
    case IMUHINGE_OP_SET_ACC_RANGE:
        return imuhinge_valid_acc_range(value);
    case IMUHINGE_OP_SET_GYR_RANGE:
        return imuhinge_valid_gyr_range(value);
    default:
        return true;
    }
}

int imuhinge_encode_command(const imuhinge_command *command, uint8_t *out, size_t out_size)
{
    size_t length;

    if (command == NULL || out == NULL) {
        return IMUHINGE_ERR_NULL;
    }
    length = command_length(command->opcode);
    if (length == 0u) {
        return IMUHINGE_ERR_OPCODE;
    }
    if (!command_value_valid(command->opcode, command->value)) {
        switch (command->opcode) {
        case IMUHINGE_OP_SET_PERIOD:
            return IMUHINGE_ERR_PERIOD;
        case IMUHINGE_OP_SET_ACC_RANGE:
            return IMUHINGE_ERR_ACC_RANGE;
        default:
            return IMUHINGE_ERR_GYR_RANGE;
        }
    }
    if (out_size < length) {
        return IMUHINGE_ERR_BUFFER;
    }
    out[0] = command->opcode;
    if (length == 2u) {
        out[1] = (uint8_t)command->value; /* 2..16, checked above */
    } else if (length == 3u) {
        put_u16(out + 1, command->value);
    }
    return (int)length;
}

uint8_t imuhinge_parse_command(const uint8_t *data, size_t len, imuhinge_command *command)
{
    imuhinge_command parsed = {0u, 0u};
    uint8_t status = IMUHINGE_STATUS_OK;
    size_t length;

    if (data == NULL || len == 0u) {
        status = IMUHINGE_STATUS_BAD_LENGTH;
    } else {
        parsed.opcode = data[0];
        length = command_length(parsed.opcode);
        if (length == 0u) {
            status = IMUHINGE_STATUS_UNKNOWN_OPCODE;
        } else if (len != length) {
            status = IMUHINGE_STATUS_BAD_LENGTH;
        } else {
            if (length == 2u) {
                parsed.value = data[1];
            } else if (length == 3u) {
                parsed.value = get_u16(data + 1);
            }
            if (!command_value_valid(parsed.opcode, parsed.value)) {
                status = IMUHINGE_STATUS_INVALID_PARAMETER;
            }
        }
    }
    if (command != NULL) {
        *command = parsed;
    }
    return status;
}

int imuhinge_encode_response(uint8_t opcode, uint8_t status, uint8_t *out, size_t out_size)
{
    if (out == NULL) {
        return IMUHINGE_ERR_NULL;
    }
    if (opcode > 0x7Fu) {
        return IMUHINGE_ERR_OPCODE;
    }
    if (status > IMUHINGE_STATUS_BAD_LENGTH) {
        return IMUHINGE_ERR_STATUS;
    }
    if (out_size < IMUHINGE_RESPONSE_BYTES) {
        return IMUHINGE_ERR_BUFFER;
    }
    out[0] = (uint8_t)(IMUHINGE_RESPONSE_BIT | opcode);
    out[1] = status;
    return (int)IMUHINGE_RESPONSE_BYTES;
}

int imuhinge_decode_response(const uint8_t *data, size_t len, uint8_t *opcode, uint8_t *status)
{
    if (opcode == NULL || status == NULL) {
        return IMUHINGE_ERR_NULL;
    }
    if (data == NULL || len != IMUHINGE_RESPONSE_BYTES || (data[0] & IMUHINGE_RESPONSE_BIT) == 0u) {
        return IMUHINGE_ERR_RESPONSE;
    }
    *opcode = (uint8_t)(data[0] & (uint8_t)~IMUHINGE_RESPONSE_BIT);
    *status = data[1];
    return 0;
}

uint8_t imuhinge_handle_command(imuhinge_settings *settings, const uint8_t *data, size_t len,
                                uint8_t response[IMUHINGE_RESPONSE_BYTES])
{
    imuhinge_command command;
    uint8_t status = imuhinge_parse_command(data, len, &command);
    bool sets = command.opcode == IMUHINGE_OP_SET_PERIOD || command.opcode == IMUHINGE_OP_SET_ACC_RANGE ||
                command.opcode == IMUHINGE_OP_SET_GYR_RANGE;

    if (settings == NULL) {
        status = IMUHINGE_STATUS_BUSY; /* no device state to change: refuse, never crash */
    } else if (sets && settings->streaming &&
               (status == IMUHINGE_STATUS_OK || status == IMUHINGE_STATUS_INVALID_PARAMETER)) {
        status = IMUHINGE_STATUS_BUSY;
    } else if (status == IMUHINGE_STATUS_OK) {
        switch (command.opcode) {
        case IMUHINGE_OP_START:
            settings->streaming = true;
            break;
        case IMUHINGE_OP_STOP:
            settings->streaming = false;
            break;
        case IMUHINGE_OP_SET_PERIOD:
            settings->period_us = command.value;
            break;
        case IMUHINGE_OP_SET_ACC_RANGE:
            settings->acc_range_g = (uint8_t)command.value;
            break;
        default: /* IMUHINGE_OP_SET_GYR_RANGE */
            settings->gyr_range_dps = command.value;
            break;
        }
    }
    if (response != NULL) {
        /* An opcode with bit 7 set cannot be told from its answer; it is echoed as is. */
        response[0] = (uint8_t)(IMUHINGE_RESPONSE_BIT | command.opcode);
        response[1] = status;
    }
    return status;
}

/* ---- Battery ------------------------------------------------------------------------------ */

/* (millivolts, percent) of a typical LiPo cell discharged at a few tens of mA. */
static const uint16_t battery_curve[][2] = {
    {3300u, 0u},  {3500u, 5u},  {3600u, 12u}, {3650u, 20u}, {3700u, 30u}, {3750u, 40u},
    {3800u, 50u}, {3900u, 65u}, {4000u, 78u}, {4100u, 90u}, {4200u, 100u},
};

uint8_t imuhinge_battery_percent(uint32_t millivolts)
{
    size_t n = sizeof battery_curve / sizeof battery_curve[0];
    size_t i;

    if (millivolts <= battery_curve[0][0]) {
        return 0u;
    }
    for (i = 1; i < n; ++i) {
        uint32_t v1 = battery_curve[i][0];
        if (millivolts <= v1) {
            uint32_t v0 = battery_curve[i - 1][0];
            uint32_t p0 = battery_curve[i - 1][1];
            uint32_t p1 = battery_curve[i][1];
            return (uint8_t)(p0 + ((p1 - p0) * (millivolts - v0) + (v1 - v0) / 2u) / (v1 - v0));
        }
    }
    return 100u;
}
