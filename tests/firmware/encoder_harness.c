/*
 * encoder_harness.c - runs the firmware's imuhinge_packet.c on the host, one request per
 * line, so tests/test_firmware_encoder.py can compare it with the Python codec in a
 * single process (thousands of packets in well under a second).
 *
 * Input: one request per line, words separated by spaces. Numbers are decimal; byte
 * strings are hex, "-" for no bytes. Output: exactly one line per request, "ok ..." with
 * the result, "err N" with the library's negative error code, or "bad ..." when the
 * request itself is not understood (a bug in the test, never in the library).
 *
 *   encode  BUFSIZE FLAGS SEQ TIME PERIOD ACC GYR COUNT V...  -> ok HEX | err N
 *   lenient BUFSIZE FLAGS SEQ TIME PERIOD ACC GYR COUNT V...  -> ok HEX | err N
 *           (V... is 6 * COUNT values ax ay az gx gy gz per sample)
 *   decode  HEX                      -> ok FLAGS SEQ TIME PERIOD ACC GYR COUNT V... | err N
 *   clip    COUNT V...               -> ok FLAGS
 *   mtu     MTU                      -> ok SAMPLES_PER_NOTIFICATION
 *   rescale RAW NUM DEN              -> ok VALUE
 *   command BUFSIZE OPCODE VALUE     -> ok HEX | err N
 *   parse   HEX                      -> ok STATUS OPCODE VALUE
 *   respond BUFSIZE OPCODE STATUS    -> ok HEX | err N
 *   answer  HEX                      -> ok OPCODE STATUS | err N
 *   handle  PERIOD ACC GYR STREAMING HEX -> ok STATUS PERIOD ACC GYR STREAMING RESPONSE_HEX
 *   battery MILLIVOLTS               -> ok PERCENT
 *   uuids                            -> ok SERVICE_HEX DATA_HEX CONTROL_HEX (wire order)
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imuhinge_packet.h"

#define LINE_CHARS 8192
#define MAX_TEST_SAMPLES 32
#define MAX_BYTES 1024

static const char *next_word(void)
{
    return strtok(NULL, " \t\r\n");
}

/* Parse the next word as a decimal integer within [lo, hi]; 0 on success. */
static int next_int(long long lo, long long hi, long long *value)
{
    const char *word = next_word();
    char *end;
    long long v;

    if (word == NULL) {
        return -1;
    }
    errno = 0;
    v = strtoll(word, &end, 10);
    if (errno != 0 || *end != '\0' || end == word || v < lo || v > hi) {
        return -1;
    }
    *value = v;
    return 0;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Parse the next word as hex bytes ("-" is empty); returns the length or -1. */
static long next_hex(uint8_t *out, size_t capacity)
{
    const char *word = next_word();
    size_t n;
    size_t i;

    if (word == NULL) {
        return -1;
    }
    if (strcmp(word, "-") == 0) {
        return 0;
    }
    n = strlen(word);
    if (n % 2u != 0u || n / 2u > capacity) {
        return -1;
    }
    for (i = 0; i < n / 2u; ++i) {
        int hi = hex_digit(word[2u * i]);
        int lo = hex_digit(word[2u * i + 1u]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        out[i] = (uint8_t)(hi * 16 + lo);
    }
    return (long)(n / 2u);
}

static void print_hex(const uint8_t *data, size_t len)
{
    size_t i;
    if (len == 0u) {
        fputs("-", stdout);
    }
    for (i = 0; i < len; ++i) {
        printf("%02x", data[i]);
    }
}

/* Read COUNT and then 6 * COUNT sample values. */
static int read_samples(imuhinge_sample *samples, long long *count)
{
    long long i;
    long long v[6];
    int k;

    if (next_int(0, MAX_TEST_SAMPLES, count) != 0) {
        return -1;
    }
    for (i = 0; i < *count; ++i) {
        for (k = 0; k < 6; ++k) {
            if (next_int(INT16_MIN, INT16_MAX, &v[k]) != 0) {
                return -1;
            }
        }
        samples[i].ax = (int16_t)v[0];
        samples[i].ay = (int16_t)v[1];
        samples[i].az = (int16_t)v[2];
        samples[i].gx = (int16_t)v[3];
        samples[i].gy = (int16_t)v[4];
        samples[i].gz = (int16_t)v[5];
    }
    return 0;
}

static void do_encode(int lenient)
{
    long long size, flags, seq, time_us, period, acc, gyr, count;
    imuhinge_header header;
    imuhinge_sample samples[MAX_TEST_SAMPLES];
    uint8_t out[MAX_BYTES];
    int result;

    if (next_int(0, MAX_BYTES, &size) || next_int(0, 0xFF, &flags) || next_int(0, 0xFFFF, &seq) ||
        next_int(0, 0xFFFFFFFFLL, &time_us) || next_int(0, 0xFFFF, &period) || next_int(0, 0xFF, &acc) ||
        next_int(0, 0xFFFF, &gyr) || read_samples(samples, &count) || next_word() != NULL) {
        puts("bad encode request");
        return;
    }
    header.flags = (uint8_t)flags;
    header.sequence = (uint16_t)seq;
    header.device_time_us = (uint32_t)time_us;
    header.period_us = (uint16_t)period;
    header.acc_range_g = (uint8_t)acc;
    header.gyr_range_dps = (uint16_t)gyr;
    result = lenient ? imuhinge_encode_packet_lenient(&header, samples, (size_t)count, out, (size_t)size)
                     : imuhinge_encode_packet(&header, samples, (size_t)count, out, (size_t)size);
    if (result < 0) {
        printf("err %d\n", result);
        return;
    }
    fputs("ok ", stdout);
    print_hex(out, (size_t)result);
    putchar('\n');
}

static void do_decode(void)
{
    uint8_t data[MAX_BYTES];
    long len = next_hex(data, sizeof data);
    imuhinge_header header;
    imuhinge_sample samples[IMUHINGE_MAX_SAMPLES];
    int count;
    int i;

    if (len < 0 || next_word() != NULL) {
        puts("bad decode request");
        return;
    }
    count = imuhinge_decode_packet(data, (size_t)len, &header, samples, IMUHINGE_MAX_SAMPLES);
    if (count < 0) {
        printf("err %d\n", count);
        return;
    }
    printf("ok %u %u %lu %u %u %u %d", (unsigned)header.flags, (unsigned)header.sequence,
           (unsigned long)header.device_time_us, (unsigned)header.period_us, (unsigned)header.acc_range_g,
           (unsigned)header.gyr_range_dps, count);
    for (i = 0; i < count; ++i) {
        printf(" %d %d %d %d %d %d", samples[i].ax, samples[i].ay, samples[i].az, samples[i].gx, samples[i].gy,
               samples[i].gz);
    }
    putchar('\n');
}

static void do_clip(void)
{
    imuhinge_sample samples[MAX_TEST_SAMPLES];
    long long count;

    if (read_samples(samples, &count) || next_word() != NULL) {
        puts("bad clip request");
        return;
    }
    printf("ok %u\n", (unsigned)imuhinge_clip_flags(samples, (size_t)count));
}

static void do_mtu(void)
{
    long long mtu;
    if (next_int(0, 0xFFFF, &mtu) || next_word() != NULL) {
        puts("bad mtu request");
        return;
    }
    printf("ok %lu\n", (unsigned long)imuhinge_samples_per_notification((uint16_t)mtu));
}

static void do_rescale(void)
{
    long long raw, num, den;
    if (next_int(INT16_MIN, INT16_MAX, &raw) || next_int(INT32_MIN, INT32_MAX, &num) ||
        next_int(INT32_MIN, INT32_MAX, &den) || next_word() != NULL) {
        puts("bad rescale request");
        return;
    }
    printf("ok %d\n", imuhinge_rescale((int16_t)raw, (int32_t)num, (int32_t)den));
}

static void do_command(void)
{
    long long size, opcode, value;
    imuhinge_command command;
    uint8_t out[MAX_BYTES];
    int result;

    if (next_int(0, MAX_BYTES, &size) || next_int(0, 0xFF, &opcode) || next_int(0, 0xFFFF, &value) ||
        next_word() != NULL) {
        puts("bad command request");
        return;
    }
    command.opcode = (uint8_t)opcode;
    command.value = (uint16_t)value;
    result = imuhinge_encode_command(&command, out, (size_t)size);
    if (result < 0) {
        printf("err %d\n", result);
        return;
    }
    fputs("ok ", stdout);
    print_hex(out, (size_t)result);
    putchar('\n');
}

static void do_parse(void)
{
    uint8_t data[MAX_BYTES];
    long len = next_hex(data, sizeof data);
    imuhinge_command command;
    uint8_t status;

    if (len < 0 || next_word() != NULL) {
        puts("bad parse request");
        return;
    }
    status = imuhinge_parse_command(len > 0 ? data : NULL, (size_t)len, &command);
    printf("ok %u %u %u\n", (unsigned)status, (unsigned)command.opcode, (unsigned)command.value);
}

static void do_respond(void)
{
    long long size, opcode, status;
    uint8_t out[MAX_BYTES];
    int result;

    if (next_int(0, MAX_BYTES, &size) || next_int(0, 0xFF, &opcode) || next_int(0, 0xFF, &status) ||
        next_word() != NULL) {
        puts("bad respond request");
        return;
    }
    result = imuhinge_encode_response((uint8_t)opcode, (uint8_t)status, out, (size_t)size);
    if (result < 0) {
        printf("err %d\n", result);
        return;
    }
    fputs("ok ", stdout);
    print_hex(out, (size_t)result);
    putchar('\n');
}

static void do_answer(void)
{
    uint8_t data[MAX_BYTES];
    long len = next_hex(data, sizeof data);
    uint8_t opcode, status;
    int result;

    if (len < 0 || next_word() != NULL) {
        puts("bad answer request");
        return;
    }
    result = imuhinge_decode_response(data, (size_t)len, &opcode, &status);
    if (result < 0) {
        printf("err %d\n", result);
        return;
    }
    printf("ok %u %u\n", (unsigned)opcode, (unsigned)status);
}

static void do_handle(void)
{
    long long period, acc, gyr, streaming;
    uint8_t data[MAX_BYTES];
    long len;
    imuhinge_settings settings;
    uint8_t response[IMUHINGE_RESPONSE_BYTES];
    uint8_t status;

    if (next_int(0, 0xFFFF, &period) || next_int(0, 0xFF, &acc) || next_int(0, 0xFFFF, &gyr) ||
        next_int(0, 1, &streaming)) {
        puts("bad handle request");
        return;
    }
    len = next_hex(data, sizeof data);
    if (len < 0 || next_word() != NULL) {
        puts("bad handle request");
        return;
    }
    settings.period_us = (uint16_t)period;
    settings.acc_range_g = (uint8_t)acc;
    settings.gyr_range_dps = (uint16_t)gyr;
    settings.streaming = streaming != 0;
    status = imuhinge_handle_command(&settings, data, (size_t)len, response);
    printf("ok %u %u %u %u %d ", (unsigned)status, (unsigned)settings.period_us, (unsigned)settings.acc_range_g,
           (unsigned)settings.gyr_range_dps, settings.streaming ? 1 : 0);
    print_hex(response, sizeof response);
    putchar('\n');
}

static void do_battery(void)
{
    long long mv;
    if (next_int(0, 0xFFFFFFFFLL, &mv) || next_word() != NULL) {
        puts("bad battery request");
        return;
    }
    printf("ok %u\n", (unsigned)imuhinge_battery_percent((uint32_t)mv));
}

static void do_uuids(void)
{
    fputs("ok ", stdout);
    print_hex(imuhinge_service_uuid, 16u);
    putchar(' ');
    print_hex(imuhinge_data_uuid, 16u);
    putchar(' ');
    print_hex(imuhinge_control_uuid, 16u);
    putchar('\n');
}

int main(void)
{
    static char line[LINE_CHARS];

    while (fgets(line, sizeof line, stdin) != NULL) {
        const char *verb;
        if (strchr(line, '\n') == NULL && !feof(stdin)) {
            puts("bad line too long");
            return 2;
        }
        verb = strtok(line, " \t\r\n");
        if (verb == NULL) {
            puts("bad empty line");
        } else if (strcmp(verb, "encode") == 0) {
            do_encode(0);
        } else if (strcmp(verb, "lenient") == 0) {
            do_encode(1);
        } else if (strcmp(verb, "decode") == 0) {
            do_decode();
        } else if (strcmp(verb, "clip") == 0) {
            do_clip();
        } else if (strcmp(verb, "mtu") == 0) {
            do_mtu();
        } else if (strcmp(verb, "rescale") == 0) {
            do_rescale();
        } else if (strcmp(verb, "command") == 0) {
            do_command();
        } else if (strcmp(verb, "parse") == 0) {
            do_parse();
        } else if (strcmp(verb, "respond") == 0) {
            do_respond();
        } else if (strcmp(verb, "answer") == 0) {
            do_answer();
        } else if (strcmp(verb, "handle") == 0) {
            do_handle();
        } else if (strcmp(verb, "battery") == 0) {
            do_battery();
        } else if (strcmp(verb, "uuids") == 0) {
            do_uuids();
        } else {
            printf("bad verb %s\n", verb);
        }
    }
    return 0;
}
