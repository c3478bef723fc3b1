/* word2vec's SGD as word2vec.c and gensim run it: one example after another, in C.
 *
 * seqkit.embeddings.sequential is the Python side (docstrings, checks, the tests' reference).
 *
 *   steps(arch, e, theta, center, context, mask, noise, lr, threads, want_loss) -> (loss, examples)
 *
 * e, theta (V, E) float32 are updated in place. center (N,), context (N, 2W), mask (N, 2W) are a
 * seqkit.embeddings.Windows batch; noise (N, g, k) int64 holds each center's noise words, a
 * skip-gram pair in window slot j taking group j*g / 2W (CBOW: g = 1). An example is a (c, t)
 * pair (skip-gram: h = e_c) or a window (CBOW: h = the mean of its words' e, target c); its step
 * is Word2Vec.sgd_step on it alone:
 *
 *     s_o = θ_oᵀ h,  g_o = lr (y_o − σ(s_o))   for o = t, n_1 … n_k   (y = 1 for t, 0 for noise)
 *     θ_o += g_o h,  and e += Σ_o g_o θ_o (old θ_o) for e_c, or for each word of the window
 *
 * Centers are split into `threads` consecutive ranges run at once without locks (Hogwild, as
 * word2vec's threads). The GIL is released throughout.
 *
 *   noise(prob, alias, seed, out)   fills out (N, m) int64 with draws from Walker's alias table
 *
 * (prob (V,) float64, alias (V,) int64), center i's m draws from splitmix64 seeded by (seed, i):
 * the same whatever the number of threads.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    float *e, *theta;
    const int64_t *center, *context, *noise;
    const uint8_t *mask;
    int64_t E, W2, g, k;
    float lr;
    int cbow, want_loss;
    int64_t start, stop;  /* this thread's centers */
    double loss;
    int64_t examples;
    int failed;
} Job;

static inline float dot(const float *a, const float *b, int64_t E) {
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < E; i++) s += a[i] * b[i];
    return s;
}

static inline void axpy(float a, const float *x, float *y, int64_t E) {
#pragma omp simd
    for (int64_t i = 0; i < E; i++) y[i] += a * x[i];
}

/* log(1 + exp(x)) without overflow */
static inline double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

/* One example: h against the target t and the k noise words n. dh (E) receives Σ_o g_o θ_o;
 * g (k + 1) is scratch. Returns the example's loss −log σ(s_t) − Σ log σ(−s_n) if asked. */
static double example(const Job *j, const float *h, int64_t t, const int64_t *n, float *g,
                      float *dh) {
    const int64_t E = j->E, k = j->k;
    double loss = 0.0;
    for (int64_t o = 0; o <= k; o++) {
        const int64_t id = o == 0 ? t : n[o - 1];
        const float s = dot(h, j->theta + id * E, E);
        const float y = o == 0 ? 1.0f : 0.0f;
        g[o] = j->lr * (y - 1.0f / (1.0f + expf(-s)));
        if (j->want_loss) loss += softplus(o == 0 ? -s : s);
    }
    memset(dh, 0, E * sizeof(float));
    for (int64_t o = 0; o <= k; o++) axpy(g[o], j->theta + (o == 0 ? t : n[o - 1]) * E, dh, E);
    for (int64_t o = 0; o <= k; o++) axpy(g[o], h, j->theta + (o == 0 ? t : n[o - 1]) * E, E);
    return loss;
}

static void *run(void *arg) {
    Job *j = arg;
    const int64_t E = j->E, W2 = j->W2;
    float *scratch = malloc((2 * E + j->k + 1) * sizeof(float));
    if (!scratch) {
        j->failed = 1;
        return NULL;
    }
    float *h = scratch, *dh = scratch + E, *g = scratch + 2 * E;
    for (int64_t i = j->start; i < j->stop; i++) {
        const int64_t *context = j->context + i * W2, *noise = j->noise + i * j->g * j->k;
        const uint8_t *mask = j->mask + i * W2;
        if (!j->cbow) {
            float *e_c = j->e + j->center[i] * E;
            for (int64_t slot = 0; slot < W2; slot++) {
                if (!mask[slot]) continue;
                j->loss += example(j, e_c, context[slot], noise + slot * j->g / W2 * j->k, g, dh);
                axpy(1.0f, dh, e_c, E);
                j->examples++;
            }
            continue;
        }
        int64_t words = 0;
        memset(h, 0, E * sizeof(float));
        for (int64_t slot = 0; slot < W2; slot++)
            if (mask[slot]) axpy(1.0f, j->e + context[slot] * E, h, E), words++;
        if (!words) continue;
        for (int64_t x = 0; x < E; x++) h[x] /= (float)words;
        j->loss += example(j, h, j->center[i], noise, g, dh);
        for (int64_t slot = 0; slot < W2; slot++)  /* each window word gets the whole ∂/∂h */
            if (mask[slot]) axpy(1.0f, dh, j->e + context[slot] * E, E);
        j->examples++;
    }
    free(scratch);
    return NULL;
}

/* A C-contiguous buffer of `ndim` dimensions whose items are `size` bytes of a format in `formats`. */
static int get(PyObject *obj, Py_buffer *view, const char *name, int ndim, const char *formats,
               Py_ssize_t size, int writable) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT |
                                          (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    const char *format = view->format ? view->format : "B";
    if (format[0] == '<' || format[0] == '=' || format[0] == '@') format++;
    if (view->ndim != ndim || view->itemsize != size || !strchr(formats, format[0]) ||
        format[1]) {
        PyErr_Format(PyExc_TypeError, "%s: expected a %d-d contiguous array of %s, got %d-d '%s'",
                     name, ndim, formats, view->ndim, view->format ? view->format : "B");
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* every id in [0, V) */
static int in_range(const int64_t *ids, Py_ssize_t n, int64_t V, const char *name) {
    for (Py_ssize_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= V) {
            PyErr_Format(PyExc_IndexError, "%s: id %lld is outside [0, %lld)", name,
                         (long long)ids[i], (long long)V);
            return 0;
        }
    return 1;
}

static PyObject *steps(PyObject *self, PyObject *args) {
    const char *arch;
    PyObject *objects[6];
    float lr;
    int threads, want_loss;
    if (!PyArg_ParseTuple(args, "sOOOOOOfip", &arch, &objects[0], &objects[1], &objects[2],
                          &objects[3], &objects[4], &objects[5], &lr, &threads, &want_loss))
        return NULL;
    static const char *names[6] = {"e", "theta", "center", "context", "mask", "noise"};
    static const int ndims[6] = {2, 2, 1, 2, 2, 3};
    static const char *formats[6] = {"f", "f", "lq", "lq", "?", "lq"};
    static const Py_ssize_t sizes[6] = {4, 4, 8, 8, 1, 8};
    Py_buffer b[6];
    int got = 0;
    PyObject *result = NULL;
    for (; got < 6; got++)
        if (get(objects[got], &b[got], names[got], ndims[got], formats[got], sizes[got], got < 2))
            goto done;
    const int64_t V = b[0].shape[0], E = b[0].shape[1], N = b[2].shape[0], W2 = b[3].shape[1];
    const int64_t g = b[5].shape[1], k = b[5].shape[2];
    const int cbow = strcmp(arch, "cbow") == 0;
    if (!cbow && strcmp(arch, "skipgram")) {
        PyErr_Format(PyExc_ValueError, "arch: expected skipgram or cbow, got %s", arch);
        goto done;
    }
    if (b[1].shape[0] != V || b[1].shape[1] != E || b[3].shape[0] != N || b[4].shape[0] != N ||
        b[4].shape[1] != W2 || b[5].shape[0] != N || W2 < 1 || g < 1 || (cbow && g != 1)) {
        PyErr_SetString(PyExc_ValueError, "shapes: expected e, theta (V, E), center (N,), "
                        "context and mask (N, 2W), noise (N, g, k) (CBOW: g = 1)");
        goto done;
    }
    const int64_t *center = b[2].buf, *context = b[3].buf, *noise = b[5].buf;
    const uint8_t *mask = b[4].buf;
    if (!in_range(center, N, V, "center") || !in_range(noise, N * g * k, V, "noise"))
        goto done;
    for (int64_t x = 0; x < N * W2; x++)
        if (mask[x] && !in_range(context + x, 1, V, "context")) goto done;
    if (threads < 1) threads = 1;
    if (threads > N) threads = N > 0 ? (int)N : 1;
    Job *jobs = calloc(threads, sizeof(Job));
    pthread_t *ids = calloc(threads, sizeof(pthread_t));
    char *created = calloc(threads, 1);
    if (!jobs || !ids || !created) {
        free(jobs), free(ids), free(created);
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    for (int t = 0; t < threads; t++) {
        jobs[t] = (Job){b[0].buf, b[1].buf, center, context, noise, mask, E, W2, g, k, lr, cbow,
                        want_loss, N * t / threads, N * (t + 1) / threads, 0.0, 0, 0};
        if (t > 0) created[t] = pthread_create(&ids[t], NULL, run, &jobs[t]) == 0;
    }
    run(&jobs[0]);
    for (int t = 1; t < threads; t++) {  /* a thread that could not start runs here */
        if (created[t]) pthread_join(ids[t], NULL);
        else run(&jobs[t]);
    }
    Py_END_ALLOW_THREADS
    double loss = 0.0;
    int64_t examples = 0;
    int failed = 0;
    for (int t = 0; t < threads; t++) {
        loss += jobs[t].loss, examples += jobs[t].examples;
        failed |= jobs[t].failed;
    }
    free(jobs), free(ids), free(created);
    if (failed)
        PyErr_NoMemory();
    else
        result = Py_BuildValue("dL", loss, (long long)examples);
done:
    for (int x = 0; x < got; x++) PyBuffer_Release(&b[x]);
    return result;
}

static inline uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static PyObject *noise(PyObject *self, PyObject *args) {
    PyObject *objects[3];
    unsigned long long seed;
    if (!PyArg_ParseTuple(args, "OOKO", &objects[0], &objects[1], &seed, &objects[2])) return NULL;
    Py_buffer prob, alias, out;
    PyObject *result = NULL;
    if (get(objects[0], &prob, "prob", 1, "d", 8, 0)) return NULL;
    if (get(objects[1], &alias, "alias", 1, "lq", 8, 0)) goto release_prob;
    if (get(objects[2], &out, "out", 2, "lq", 8, 1)) goto release_alias;
    const int64_t V = prob.shape[0], N = out.shape[0], m = out.shape[1];
    if (alias.shape[0] != V || V < 1) {
        PyErr_SetString(PyExc_ValueError, "noise: prob and alias must have the same length V >= 1");
        goto release_out;
    }
    if (!in_range(alias.buf, V, V, "alias")) goto release_out;
    const double *p = prob.buf;
    const int64_t *a = alias.buf;
    int64_t *ids = out.buf;
    Py_BEGIN_ALLOW_THREADS
    for (int64_t i = 0; i < N; i++) {
        uint64_t state = seed ^ (0xD1B54A32D192ED03ULL * (uint64_t)(i + 1));
        for (int64_t x = 0; x < m; x++) {
            const uint64_t r = splitmix64(&state);
            const int64_t bucket = (int64_t)(((r >> 32) * (uint64_t)V) >> 32);
            const double u = (double)(r & 0xFFFFFFFFULL) / 4294967296.0;
            ids[i * m + x] = u < p[bucket] ? bucket : a[bucket];
        }
    }
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
release_out:
    PyBuffer_Release(&out);
release_alias:
    PyBuffer_Release(&alias);
release_prob:
    PyBuffer_Release(&prob);
    return result;
}

static PyMethodDef methods[] = {
    {"steps", steps, METH_VARARGS, "word2vec's SGD, one example after another (see the source)."},
    {"noise", noise, METH_VARARGS, "Noise words from Walker's alias table (see the source)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_sgd", NULL, -1, methods};

/* VERSION changes with what the functions take or do: sequential.py refuses another (a stale build) */
PyMODINIT_FUNC PyInit__sgd(void) {
    PyObject *m = PyModule_Create(&module);
    if (m && PyModule_AddIntConstant(m, "VERSION", 1) < 0) Py_CLEAR(m);
    return m;
}
