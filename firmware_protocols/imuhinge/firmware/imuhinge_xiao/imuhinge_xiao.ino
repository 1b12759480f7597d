/*
 * imuhinge_xiao.ino - reference firmware for the imuhinge sensor protocol, version 1,
 * on the Seeed Studio XIAO nRF52840 Sense (nRF52840 + on-board LSM6DS3 / LSM6DS3TR-C IMU).
 *
 * What it does: advertises the imuhinge service (firmware_protocols/imuhinge/PROTOCOL.md),
 * and once a host writes "start" on the control characteristic, reads the IMU every
 * period_us on a fixed grid of the device clock and sends the samples in data
 * notifications: 14-byte header (sequence number, device time of the first sample in us,
 * period, full scales) plus up to 19 samples. Every byte on the wire is produced by
 * imuhinge_packet.c, the same C file the host tests compare with the Python decoder.
 *
 * Why it is built this way:
 *  - Sample times are the grid times (stream start + k * period), not the moment the
 *    loop got round to reading: the protocol promises sample k at
 *    device_time_us + k * period_us, so a packet only ever holds consecutive grid slots.
 *    When slots are missed (the loop was held up) or the send queue overflows, the packet
 *    in progress ends there and the next one carries DEVICE_OVERRUN with its own, still
 *    exact, first-sample time, so the host sees the gap in time.
 *  - The sequence number counts notifications actually sent, so the host's loss count
 *    is the radio's, and dropped-before-sending samples are reported as overrun instead.
 *  - A packet is sent once it spans about 40 ms (or fills the MTU), which keeps the
 *    live feedback on the host responsive at every rate.
 *  - Bluefruit calls the write/connect callbacks from its own tasks; they only post an
 *    event to a queue, and loop() owns all state, the IMU and the radio sends.
 *
 * Board package "Seeed nRF52 Boards" (Seeeduino:nrf52, Bluefruit included), library
 * "Seeed Arduino LSM6DS3". Build, flash and wearing instructions: ../README.md.
 * This sketch is not compiled by CI (no Arduino toolchain there); imuhinge_packet.c is,
 * by tests/test_firmware_encoder.py.
 */

#include <Arduino.h>
#include <Adafruit_TinyUSB.h> // USB stack: keeps the board reachable for the next upload
#include <bluefruit.h>
#include <LSM6DS3.h>
#include <Wire.h>

#include "imuhinge_packet.h"

/* ---- Settings ------------------------------------------------------------------------ */

// Until the host sets them (imuhinge live sets the period, then starts).
static const uint16_t DEFAULT_PERIOD_US = 10000;  // 100 Hz
static const uint8_t DEFAULT_ACC_RANGE_G = 8;     // a hinge stays well under 2 g; 8 g leaves room for knocks
static const uint16_t DEFAULT_GYR_RANGE_DPS = 1000;

static const uint32_t PACKET_SPAN_US = 40000;      // first-to-last sample of a packet, at most
static const uint32_t BATTERY_INTERVAL_MS = 30000; // battery level refresh
static const int8_t TX_POWER_DBM = 4;
static const uint16_t WANTED_ATT_MTU = 247;        // 19 samples per notification
static const uint8_t SEND_QUEUE_PACKETS = 16;      // ~0.6 s of samples while the radio is busy
static const uint8_t EVENT_QUEUE_LENGTH = 8;
static const uint16_t CONTROL_MAX_WRITE = 20;      // longer writes are refused by the stack itself
static const uint32_t SLEEP_IF_DUE_IN_US = 1500;   // sleep a scheduler tick (~1 ms) only this far ahead of a sample

/* ---- LSM6DS3 / LSM6DS3TR-C (same register addresses and bits on both) ----------------- */

static const uint8_t IMU_I2C_ADDRESS = 0x6A;
static const uint8_t REG_CTRL1_XL = 0x10; // accelerometer: ODR [7:4], full scale [3:2]
static const uint8_t REG_CTRL2_G = 0x11;  // gyroscope: ODR [7:4], full scale [3:2], FS_125 [1]
static const uint8_t REG_CTRL3_C = 0x12;
static const uint8_t REG_CTRL4_C = 0x13;
static const uint8_t REG_OUTX_L_G = 0x22; // 12 bytes: gx gy gz ax ay az, int16 little-endian
static const uint8_t ODR_833_HZ = 0x70;   // above every protocol rate; the host's period is kept by this sketch
static const uint8_t CTRL3_C_BDU_IF_INC = 0x44; // block data update (coherent low/high bytes), auto-increment

/* Sensor counts to protocol counts. The protocol's count is full_scale / 32768; the
 * datasheet sensitivity is 0.061 mg (x FS/2 g) and 4.375 mdps (x FS/125 dps) per count:
 *   accelerometer 0.061 * 32768 / 2000   = 0.999424 = 15616 / 15625
 *   gyroscope     4.375 * 32768 / 125000 = 1.14688  = 3584 / 3125
 * so the gyroscope's protocol full scale is reached before the sensor's (2293 dps at the
 * 2000 dps setting); beyond it values saturate and GYR_CLIPPED is set. */
static const int32_t ACC_SCALE_NUM = 15616, ACC_SCALE_DEN = 15625;
static const int32_t GYR_SCALE_NUM = 3584, GYR_SCALE_DEN = 3125;

/* ---- Types (all before the first function: the Arduino builder puts its generated
 *      prototypes there) ------------------------------------------------------------- */

enum EventKind : uint8_t { EVENT_CONNECTED, EVENT_DISCONNECTED, EVENT_CONTROL_WRITE };

/* What a Bluefruit callback hands to loop(). */
struct LinkEvent {
  uint8_t kind;
  uint16_t conn_handle;
  uint16_t length; // bytes written to the control characteristic
  uint8_t data[CONTROL_MAX_WRITE];
};

/* A packet waiting to be sent; its sequence number is given when it is sent. */
struct PendingPacket {
  imuhinge_header header;
  uint8_t count;
  imuhinge_sample samples[IMUHINGE_MAX_SAMPLES];
};

struct StreamState {
  bool active;
  bool start_pending;      // the next notification sent carries STREAM_START
  bool overrun_pending;    // the next packet begun carries DEVICE_OVERRUN
  uint16_t next_sequence;
  uint32_t next_due_micros; // micros() at which the next sample is due
  uint32_t next_time_us;    // its device time: 0 at the first sample after start
};

/* ---- Globals --------------------------------------------------------------------------- */

LSM6DS3 imu(I2C_MODE, IMU_I2C_ADDRESS);

BLEService imuService(imuhinge_service_uuid);
BLECharacteristic dataChar(imuhinge_data_uuid);
BLECharacteristic controlChar(imuhinge_control_uuid);
BLEBas batteryService;

static QueueHandle_t events;
static uint16_t connection = BLE_CONN_HANDLE_INVALID;

static imuhinge_settings settings = {DEFAULT_PERIOD_US, DEFAULT_ACC_RANGE_G, DEFAULT_GYR_RANGE_DPS, false};
static StreamState stream;
static PendingPacket building;                  // the packet being filled
static PendingPacket sendQueue[SEND_QUEUE_PACKETS];
static uint8_t queueHead = 0;
static uint8_t queueCount = 0;

static uint32_t lastBatteryMs = 0;
static int lastBatteryPercent = -1;

/* ---- LEDs: the XIAO's RGB LED is common anode, LOW lights a colour --------------------- */

static void setLeds(bool red, bool green, bool blue) {
  digitalWrite(LED_RED, red ? LOW : HIGH);
  digitalWrite(LED_GREEN, green ? LOW : HIGH);
  digitalWrite(LED_BLUE, blue ? LOW : HIGH);
}

/* Off: advertising. Blue: connected. Green: streaming. Blinking red: no IMU. */
static void showState() {
  bool connected = connection != BLE_CONN_HANDLE_INVALID;
  setLeds(false, stream.active, connected && !stream.active);
}

/* ---- IMU --------------------------------------------------------------------------------- */

static uint8_t accFullScaleBits(uint8_t range_g) {
  switch (range_g) {
    case 2: return 0x00;
    case 4: return 0x08;
    case 8: return 0x0C;
    default: return 0x04; // 16 g
  }
}

static uint8_t gyrFullScaleBits(uint16_t range_dps) {
  switch (range_dps) {
    case 125: return 0x02; // FS_125
    case 250: return 0x00; // the datasheet's "245 dps" setting: 8.75 mdps per count like the rest
    case 500: return 0x04;
    case 1000: return 0x08;
    default: return 0x0C; // 2000 dps
  }
}

/* Write the full scales in `settings` to the IMU; false if the IMU did not acknowledge. */
static bool applyRanges() {
  return imu.writeRegister(REG_CTRL1_XL, ODR_833_HZ | accFullScaleBits(settings.acc_range_g)) == IMU_SUCCESS &&
         imu.writeRegister(REG_CTRL2_G, ODR_833_HZ | gyrFullScaleBits(settings.gyr_range_dps)) == IMU_SUCCESS;
}

/* Power the IMU and configure it. imu.begin() switches on its supply pin (P1.08), selects
 * the internal I2C bus and checks WHO_AM_I (LSM6DS3 or LSM6DS3TR-C); the registers are
 * then set here so both chips behave alike. */
static bool startImu() {
  if (imu.begin() != IMU_SUCCESS) {
    return false;
  }
  return imu.writeRegister(REG_CTRL3_C, CTRL3_C_BDU_IF_INC) == IMU_SUCCESS &&
         imu.writeRegister(REG_CTRL4_C, 0x00) == IMU_SUCCESS && // accel bandwidth from the ODR on both chips
         applyRanges();
}

static int16_t le16(const uint8_t *p) {
  return (int16_t)(uint16_t)(p[0] | (p[1] << 8));
}

/* One sample in protocol counts; false if the I2C read failed. */
static bool readSample(imuhinge_sample *s) {
  uint8_t raw[12];
  if (imu.readRegisterRegion(raw, REG_OUTX_L_G, sizeof raw) != IMU_SUCCESS) {
    return false;
  }
  s->gx = imuhinge_rescale(le16(raw + 0), GYR_SCALE_NUM, GYR_SCALE_DEN);
  s->gy = imuhinge_rescale(le16(raw + 2), GYR_SCALE_NUM, GYR_SCALE_DEN);
  s->gz = imuhinge_rescale(le16(raw + 4), GYR_SCALE_NUM, GYR_SCALE_DEN);
  s->ax = imuhinge_rescale(le16(raw + 6), ACC_SCALE_NUM, ACC_SCALE_DEN);
  s->ay = imuhinge_rescale(le16(raw + 8), ACC_SCALE_NUM, ACC_SCALE_DEN);
  s->az = imuhinge_rescale(le16(raw + 10), ACC_SCALE_NUM, ACC_SCALE_DEN);
  return true;
}

/* ---- Battery ------------------------------------------------------------------------------ */

/* The cell voltage: VBAT reaches P0.31 through a 1 MOhm / 510 kOhm divider that P0.14
 * (VBAT_ENABLE) connects when low. The pin stays low all the time: Seeed warns that
 * driving it high while the cell charges can over-volt P0.31. */
static uint32_t readBatteryMillivolts() {
  uint32_t sum = 0;
  for (int i = 0; i < 4; ++i) {
    sum += (uint32_t)analogRead(PIN_VBAT);
  }
  uint32_t pin_mv = (sum / 4u) * 2400u / 4096u; // 12 bits against the 2.4 V reference
  return pin_mv * (1000u + 510u) / 510u;
}

static void updateBattery(bool force) {
  uint32_t now = millis();
  if (!force && now - lastBatteryMs < BATTERY_INTERVAL_MS) {
    return;
  }
  lastBatteryMs = now;
  uint8_t percent = imuhinge_battery_percent(readBatteryMillivolts());
  if ((int)percent == lastBatteryPercent) {
    return;
  }
  lastBatteryPercent = percent;
  batteryService.write(percent);
  if (connection != BLE_CONN_HANDLE_INVALID) {
    batteryService.notify(percent); // only reaches a host that subscribed
  }
}

/* ---- Packets -------------------------------------------------------------------------------- */

/* Samples the next packet should hold: what spans PACKET_SPAN_US, at most what one
 * notification carries at the negotiated MTU (0 if no notification can carry one). */
static uint8_t packetTarget() {
  BLEConnection *conn = connection != BLE_CONN_HANDLE_INVALID ? Bluefruit.Connection(connection) : NULL;
  size_t fits = conn != NULL ? imuhinge_samples_per_notification(conn->getMtu()) : IMUHINGE_MAX_SAMPLES;
  size_t wanted = 1u + PACKET_SPAN_US / settings.period_us;
  return (uint8_t)(wanted < fits ? wanted : fits);
}

/* Move the packet being filled to the send queue (or drop it if the queue is full). */
static void finishPacket() {
  if (building.count == 0) {
    return;
  }
  building.header.flags |= imuhinge_clip_flags(building.samples, building.count);
  if (queueCount < SEND_QUEUE_PACKETS) {
    sendQueue[(queueHead + queueCount) % SEND_QUEUE_PACKETS] = building;
    ++queueCount;
  } else {
    stream.overrun_pending = true; // the radio is not keeping up: these samples are lost
  }
  building.count = 0;
}

/* Samples are missing from here on: close the packet, flag the next one. */
static void markGap() {
  finishPacket();
  stream.overrun_pending = true;
}

static void appendSample(const imuhinge_sample &sample, uint32_t time_us) {
  uint8_t target = packetTarget();
  if (target == 0) { // MTU below 29: no notification can carry a packet
    markGap();
    return;
  }
  if (building.count == 0) {
    building.header.flags = stream.overrun_pending ? IMUHINGE_FLAG_DEVICE_OVERRUN : 0;
    stream.overrun_pending = false;
    building.header.sequence = 0; // given when sent
    building.header.device_time_us = time_us;
    building.header.period_us = settings.period_us;
    building.header.acc_range_g = settings.acc_range_g;
    building.header.gyr_range_dps = settings.gyr_range_dps;
  }
  building.samples[building.count++] = sample;
  if (building.count >= target) {
    finishPacket();
  }
}

/* Take the sample that is due, if one is. Device time is kept in uint32 arithmetic, so it
 * wraps at 2^32 us exactly as the protocol's device_time_us does. */
static void sampleIfDue() {
  uint32_t period = settings.period_us;
  int32_t late = (int32_t)(micros() - stream.next_due_micros);
  if (late < 0) {
    return;
  }
  if ((uint32_t)late >= period) {
    uint32_t missed = (uint32_t)late / period; // slots nobody read: skip them, say so
    stream.next_due_micros += missed * period;
    stream.next_time_us += missed * period;
    markGap();
  }
  uint32_t time_us = stream.next_time_us;
  stream.next_due_micros += period;
  stream.next_time_us += period;
  imuhinge_sample sample;
  if (readSample(&sample)) {
    appendSample(sample, time_us);
  } else {
    markGap();
  }
}

static void dropQueueHead() {
  queueHead = (uint8_t)((queueHead + 1u) % SEND_QUEUE_PACKETS);
  --queueCount;
}

/* Whether a queued packet can go out now (the host subscribed to the data characteristic). */
static bool canSend() {
  return queueCount > 0 && connection != BLE_CONN_HANDLE_INVALID && dataChar.notifyEnabled(connection);
}

/* Send the oldest queued packet, if the host listens. At most one per loop pass, so a
 * slow radio delays sampling by one notification at a time, never by the whole queue. */
static void sendOnePacket() {
  if (!canSend()) {
    return; // not subscribed yet: the queue fills and overflows into DEVICE_OVERRUN
  }
  BLEConnection *conn = Bluefruit.Connection(connection);
  if (conn == NULL) {
    return;
  }
  const PendingPacket &packet = sendQueue[queueHead];
  imuhinge_header header = packet.header;
  header.sequence = stream.next_sequence;
  if (stream.start_pending) {
    header.flags |= IMUHINGE_FLAG_STREAM_START;
  }
  uint8_t bytes[IMUHINGE_MAX_PACKET_BYTES];
  int length = imuhinge_encode_packet(&header, packet.samples, packet.count, bytes, sizeof bytes);
  // Bluefruit splits a value longer than MTU - 3 over several notifications, which the
  // host would refuse; packetTarget() prevents it, this guards it.
  if (length < 0 || (uint32_t)length + IMUHINGE_ATT_NOTIFY_OVERHEAD > conn->getMtu()) {
    dropQueueHead();
    stream.overrun_pending = true;
    return;
  }
  if (!dataChar.notify(connection, bytes, (uint16_t)length)) {
    return; // no transmit buffer freed in time: try the same packet on the next pass
  }
  ++stream.next_sequence; // wraps 65535 -> 0
  stream.start_pending = false;
  dropQueueHead();
}

/* ---- Streaming ------------------------------------------------------------------------------ */

/* Begin a stream afresh (also on start while streaming): sequence 0, device time 0,
 * STREAM_START on the first notification, nothing left over from before. */
static void startStream() {
  queueHead = 0;
  queueCount = 0;
  building.count = 0;
  stream.active = true;
  stream.start_pending = true;
  stream.overrun_pending = false;
  stream.next_sequence = 0;
  stream.next_time_us = 0;
  stream.next_due_micros = micros();
  showState();
}

/* End the stream; with `flush`, what was sampled is sent first (on a stop command). */
static void stopStream(bool flush) {
  if (flush) {
    finishPacket();
    for (uint8_t attempt = 0; queueCount > 0 && attempt < 2 * SEND_QUEUE_PACKETS; ++attempt) {
      sendOnePacket();
    }
  }
  stream.active = false;
  queueHead = 0;
  queueCount = 0;
  building.count = 0;
  showState();
}

/* ---- Control characteristic ------------------------------------------------------------------ */

static void handleControlWrite(const LinkEvent &event) {
  imuhinge_settings before = settings;
  uint8_t response[IMUHINGE_RESPONSE_BYTES];
  uint8_t status = imuhinge_handle_command(&settings, event.data, event.length, response);
  if (status == IMUHINGE_STATUS_OK) {
    uint8_t opcode = event.data[0]; // OK implies a known opcode, so length >= 1
    if (opcode == IMUHINGE_OP_START) {
      startStream();
    } else if (opcode == IMUHINGE_OP_STOP) {
      if (stream.active) {
        stopStream(true);
      }
    } else if ((settings.acc_range_g != before.acc_range_g || settings.gyr_range_dps != before.gyr_range_dps) &&
               !applyRanges()) {
      // The IMU did not take the new full scale: keep the old one, so headers never
      // claim a scale the samples were not read at, and let the host retry.
      settings = before;
      applyRanges();
      imuhinge_encode_response(opcode, IMUHINGE_STATUS_BUSY, response, sizeof response);
    }
  }
  controlChar.notify(event.conn_handle, response, sizeof response); // reaches a subscribed host
}

static void handleEvents() {
  LinkEvent event;
  bool any = false;
  while (xQueueReceive(events, &event, 0) == pdTRUE) {
    any = true;
    switch (event.kind) {
      case EVENT_CONNECTED:
        connection = event.conn_handle;
        updateBattery(true);
        break;
      case EVENT_DISCONNECTED:
        if (event.conn_handle == connection) {
          connection = BLE_CONN_HANDLE_INVALID;
          settings.streaming = false; // a new connection finds the device stopped
          stopStream(false);
        }
        break;
      case EVENT_CONTROL_WRITE:
        handleControlWrite(event);
        break;
      default:
        break;
    }
  }
  if (any) {
    showState();
  }
}

/* ---- Bluefruit callbacks (run in Bluefruit's tasks: post and return) --------------------- */

static void postEvent(uint8_t kind, uint16_t conn_handle, const uint8_t *data, uint16_t length) {
  LinkEvent event;
  event.kind = kind;
  event.conn_handle = conn_handle;
  event.length = length;
  memset(event.data, 0, sizeof event.data);
  if (data != NULL) {
    memcpy(event.data, data, length < sizeof event.data ? length : sizeof event.data);
  }
  xQueueSend(events, &event, 0); // queue full: the write goes unanswered, the host times out
}

static void onConnect(uint16_t conn_handle) {
  BLEConnection *conn = Bluefruit.Connection(conn_handle);
  if (conn != NULL) {
    conn->requestPHY();                    // 2M PHY where the host supports it
    conn->requestDataLengthUpdate();       // one link-layer packet per notification
    conn->requestMtuExchange(WANTED_ATT_MTU);
  }
  postEvent(EVENT_CONNECTED, conn_handle, NULL, 0);
}

static void onDisconnect(uint16_t conn_handle, uint8_t reason) {
  (void)reason;
  postEvent(EVENT_DISCONNECTED, conn_handle, NULL, 0);
}

static void onControlWrite(uint16_t conn_handle, BLECharacteristic *chr, uint8_t *data, uint16_t len) {
  (void)chr;
  postEvent(EVENT_CONTROL_WRITE, conn_handle, data, len);
}

/* ---- Setup ------------------------------------------------------------------------------------- */

/* "imuhinge-XXXX", XXXX the last four hex digits of the Bluetooth address, so two units
 * (pelvis and thorax) have different names to pass to imuhinge live. */
static void setDeviceName() {
  uint8_t mac[6];
  Bluefruit.getAddr(mac); // least significant byte first
  char name[20];
  snprintf(name, sizeof name, "imuhinge-%02X%02X", mac[1], mac[0]);
  Bluefruit.setName(name);
}

static void startBle() {
  Bluefruit.configPrphBandwidth(BANDWIDTH_MAX); // MTU up to 247, longer connection events
  Bluefruit.begin(1, 0);                         // one peripheral link, no central
  Bluefruit.setTxPower(TX_POWER_DBM);
  Bluefruit.autoConnLed(false);                  // the LEDs show this sketch's state instead
  setDeviceName();
  Bluefruit.Periph.setConnInterval(6, 12);       // 7.5 to 15 ms
  Bluefruit.Periph.setConnectCallback(onConnect);
  Bluefruit.Periph.setDisconnectCallback(onDisconnect);

  imuService.begin();
  dataChar.setProperties(CHR_PROPS_NOTIFY);
  dataChar.setPermission(SECMODE_OPEN, SECMODE_NO_ACCESS);
  dataChar.setMaxLen(IMUHINGE_MAX_PACKET_BYTES);
  dataChar.begin();
  controlChar.setProperties(CHR_PROPS_WRITE | CHR_PROPS_NOTIFY);
  controlChar.setPermission(SECMODE_OPEN, SECMODE_OPEN);
  controlChar.setMaxLen(CONTROL_MAX_WRITE);
  controlChar.setWriteCallback(onControlWrite);
  controlChar.begin();

  batteryService.begin();
  updateBattery(true);

  // Flags + the 128-bit service UUID (hosts filter scans on it) in the advertisement,
  // the name in the scan response: both do not fit 31 bytes together.
  Bluefruit.Advertising.addFlags(BLE_GAP_ADV_FLAGS_LE_ONLY_GENERAL_DISC_MODE);
  Bluefruit.Advertising.addTxPower();
  Bluefruit.Advertising.addService(imuService);
  Bluefruit.ScanResponse.addName();
  Bluefruit.Advertising.restartOnDisconnect(true);
  Bluefruit.Advertising.setInterval(32, 244); // 20 ms for the first 30 s, then 152.5 ms
  Bluefruit.Advertising.setFastTimeout(30);
  Bluefruit.Advertising.start(0);             // advertise until connected
}

void setup() {
  pinMode(LED_RED, OUTPUT);
  pinMode(LED_GREEN, OUTPUT);
  pinMode(LED_BLUE, OUTPUT);
  setLeds(false, false, false);

  pinMode(VBAT_ENABLE, OUTPUT);
  digitalWrite(VBAT_ENABLE, LOW);
  analogReference(AR_INTERNAL_2_4);
  analogReadResolution(12);
  analogSampleTime(40); // the divider's ~340 kOhm source needs a long acquisition time

  if (!startImu()) {
    for (;;) { // without an IMU there is nothing to offer: do not advertise
      setLeds(true, false, false);
      delay(200);
      setLeds(false, false, false);
      delay(800);
    }
  }
  events = xQueueCreate(EVENT_QUEUE_LENGTH, sizeof(LinkEvent));
  startBle();
  showState();
}

void loop() {
  handleEvents();
  if (stream.active) {
    sampleIfDue();
    sendOnePacket();
  }
  updateBattery(false);

  if (!stream.active) {
    delay(10); // idle: commands and battery only
  } else if (!canSend() && (int32_t)(stream.next_due_micros - micros()) > (int32_t)SLEEP_IF_DUE_IN_US) {
    delay(1);  // sleep until close to the next sample
  } else {
    yield();   // let Bluefruit's tasks run, then poll again
  }
}
