/*
 * The "calling libxgboost directly" baseline for Kiln's XGBoost: the same C API calls Kiln makes
 * through P/Invoke (src/Kiln.ML/Trainers/XGBoost), with no .NET in between.
 *
 *   xgb_direct TRAIN.csv TEST.csv [--no-eval] key=value ...
 *
 * TRAIN.csv holds the label in the first column (SageMaker's convention), TEST.csv the same layout
 * (its label is ignored). num_round=N sets the rounds; every other key=value goes to
 * XGBoosterSetParam, in order, after nthread (default 2). Like Kiln, each round is followed by
 * XGBoosterEvalOneIter on the training set unless --no-eval is given. Prints one JSON line:
 * parse_s (CSV to floats, strtof), train_s (DMatrix creation through the last round: the span
 * Kiln reports as train_seconds), predict_s (DMatrix of TEST plus XGBoosterPredictFromDMatrix).
 *
 * The prototypes are copied from include/xgboost/c_api.h at v1.7.4 so the program builds against
 * Debian's libxgboost0 alone (libxgboost-dev, which ships the header, is not needed):
 *   cc -O2 -o xgb_direct xgb_direct.c /usr/lib/x86_64-linux-gnu/libxgboost.so.0
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef uint64_t bst_ulong;
typedef void *DMatrixHandle;
typedef void *BoosterHandle;
const char *XGBGetLastError(void);
int XGDMatrixCreateFromMat_omp(const float *data, bst_ulong nrow, bst_ulong ncol, float missing, DMatrixHandle *out, int nthread);
int XGDMatrixSetFloatInfo(DMatrixHandle handle, const char *field, const float *array, bst_ulong len);
int XGDMatrixFree(DMatrixHandle handle);
int XGBoosterCreate(const DMatrixHandle dmats[], bst_ulong len, BoosterHandle *out);
int XGBoosterFree(BoosterHandle handle);
int XGBoosterSetParam(BoosterHandle handle, const char *name, const char *value);
int XGBoosterUpdateOneIter(BoosterHandle handle, int iter, DMatrixHandle dtrain);
int XGBoosterEvalOneIter(BoosterHandle handle, int iter, DMatrixHandle dmats[], const char *evnames[], bst_ulong len, const char **out_result);
int XGBoosterPredictFromDMatrix(BoosterHandle handle, DMatrixHandle dmat, const char *config, const bst_ulong **out_shape,
                                bst_ulong *out_dim, const float **out_result);

#define CHECK(call)                                                            \
  do {                                                                         \
    if ((call) != 0) {                                                         \
      fprintf(stderr, "xgb_direct: %s: %s\n", #call, XGBGetLastError());        \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Reads a label-first CSV; an empty field is NaN (missing), as in Kiln's reader. */
static void read_csv(const char *path, float **x, float **y, size_t *rows, size_t *cols) {
  FILE *f = fopen(path, "r");
  if (!f) {
    perror(path);
    exit(1);
  }
  size_t cap = 1 << 12, n = 0, width = 0;
  char *line = NULL;
  size_t len = 0;
  float *xs = NULL, *ys = malloc(cap * sizeof(float));
  while (getline(&line, &len, f) > 0) {
    if (line[0] == '\n' || line[0] == '\r') continue;
    if (width == 0) {
      for (char *c = line; *c; c++) width += *c == ',';
      xs = malloc(cap * width * sizeof(float));
    }
    if (n == cap) {
      cap *= 2;
      ys = realloc(ys, cap * sizeof(float));
      xs = realloc(xs, cap * width * sizeof(float));
    }
    char *p = line;
    for (size_t j = 0; j <= width; j++) {
      char *end;
      float v = strtof(p, &end);
      if (end == p) v = __builtin_nanf("");
      if (j == 0) ys[n] = v; else xs[n * width + j - 1] = v;
      p = strchr(end, ',');
      if (!p) break;
      p++;
    }
    n++;
  }
  free(line);
  fclose(f);
  *x = xs, *y = ys, *rows = n, *cols = width;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: xgb_direct TRAIN.csv TEST.csv [--no-eval] key=value ...\n");
    return 2;
  }
  int rounds = 10, eval = 1;
  double t0 = now();
  float *x, *y, *tx, *ty;
  size_t rows, cols, trows, tcols;
  read_csv(argv[1], &x, &y, &rows, &cols);
  read_csv(argv[2], &tx, &ty, &trows, &tcols);
  double t1 = now();

  DMatrixHandle dtrain;
  CHECK(XGDMatrixCreateFromMat_omp(x, rows, cols, __builtin_nanf(""), &dtrain, 2));
  CHECK(XGDMatrixSetFloatInfo(dtrain, "label", y, rows));
  BoosterHandle booster;
  CHECK(XGBoosterCreate(&dtrain, 1, &booster));
  CHECK(XGBoosterSetParam(booster, "nthread", "2"));
  for (int i = 3; i < argc; i++) {
    if (strcmp(argv[i], "--no-eval") == 0) {
      eval = 0;
      continue;
    }
    char *eq = strchr(argv[i], '=');
    if (!eq) {
      fprintf(stderr, "xgb_direct: '%s' is not key=value\n", argv[i]);
      return 2;
    }
    *eq = '\0';
    if (strcmp(argv[i], "num_round") == 0) rounds = atoi(eq + 1);
    else CHECK(XGBoosterSetParam(booster, argv[i], eq + 1));
  }
  const char *names[] = {"train"};
  const char *last = "";
  for (int r = 0; r < rounds; r++) {
    CHECK(XGBoosterUpdateOneIter(booster, r, dtrain));
    if (eval) {
      const char *result;
      CHECK(XGBoosterEvalOneIter(booster, r, &dtrain, names, 1, &result));
      last = result;
    }
  }
  double t2 = now();
  char *last_eval = strdup(last); /* the string is libxgboost's, overwritten by its next call */
  for (char *c = last_eval; *c; c++)
    if (*c == '\t') *c = ' ';

  DMatrixHandle dtest;
  CHECK(XGDMatrixCreateFromMat_omp(tx, trows, tcols, __builtin_nanf(""), &dtest, 2));
  const bst_ulong *shape;
  bst_ulong dim;
  const float *out;
  CHECK(XGBoosterPredictFromDMatrix(booster, dtest,
                                    "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, \"strict_shape\": false}",
                                    &shape, &dim, &out));
  double t3 = now();
  double checksum = 0;
  for (bst_ulong i = 0; i < shape[0]; i++) checksum += out[i];
  printf("{\"parse_s\": %.4f, \"train_s\": %.4f, \"predict_s\": %.4f, \"rounds\": %d, \"eval\": %s, \"checksum\": %.6f, \"last_eval\": \"%s\"}\n",
         t1 - t0, t2 - t1, t3 - t2, rounds, eval ? "true" : "false", checksum, last_eval);
  XGDMatrixFree(dtest);
  XGBoosterFree(booster);
  XGDMatrixFree(dtrain);
  free(x), free(y), free(tx), free(ty);
  return 0;
}
