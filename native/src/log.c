#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_level = OTC_LOG_LEVEL_ERROR; /* log_lock */
static otc_logger_func plain_logger;        /* log_lock */
static otc_log_callback level_logger;       /* log_lock */
static void* level_logger_data;             /* log_lock */

void otc_log_enable(int level) {
  pthread_mutex_lock(&log_lock);
  log_level = level;
  pthread_mutex_unlock(&log_lock);
}

void otc_log_set_logger_callback(otc_logger_func logger) {
  pthread_mutex_lock(&log_lock);
  plain_logger = logger;
  level_logger = NULL;
  level_logger_data = NULL;
  pthread_mutex_unlock(&log_lock);
}

void otc_log_set_callback(otc_log_callback callback, void* user_data) {
  pthread_mutex_lock(&log_lock);
  level_logger = callback;
  level_logger_data = user_data;
  plain_logger = NULL;
  pthread_mutex_unlock(&log_lock);
}

static const char* level_name(enum otc_log_level level) {
  switch (level) {
    case OTC_LOG_LEVEL_ERROR: return "ERROR";
    case OTC_LOG_LEVEL_WARN: return "WARN";
    case OTC_LOG_LEVEL_INFO: return "INFO";
    case OTC_LOG_LEVEL_DEBUG: return "DEBUG";
    case OTC_LOG_LEVEL_MSG: return "MSG";
    case OTC_LOG_LEVEL_TRACE: return "TRACE";
    default: return "LOG";
  }
}

void otc_log(enum otc_log_level level, const char* format, ...) {
  pthread_mutex_lock(&log_lock);
  bool enabled = level != OTC_LOG_LEVEL_DISABLED && (int)level <= log_level;
  otc_logger_func plain = plain_logger;
  otc_log_callback leveled = level_logger;
  void* data = level_logger_data;
  pthread_mutex_unlock(&log_lock);
  if (!enabled) {
    return;
  }
  char message[1024];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  if (leveled) {
    leveled(level, message, data);
  } else if (plain) {
    plain(message);
  } else {
    fprintf(stderr, "otc %s: %s\n", level_name(level), message);
  }
}
