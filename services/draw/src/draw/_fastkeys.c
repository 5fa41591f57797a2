/* The target keys of ssj-draw-v1 §2 in C: the one part of a draw that is millions of hashes.

   keys(prefix, ids, weights) -> list[bytes]
       for each entity: max over j in 0..w-1 of H(prefix || UTF-8(id) || 0x00 || BE32(j)),
       as 32 raw bytes (equal-length big-endian bytes compare as INT() would), where prefix is
       seed || "T". The same function as draw.algorithm's pure-Python path, which the tests hold
       this to; it exists because CPython spends five times longer calling a hash than hashing.

   The ids' UTF-8 and the weights are read with the GIL held; the hashing runs without it, so
   two threads hash two halves of a pool on two cores. SHA-256 is libcrypto's (OpenSSL, which
   CPython's hashlib loads anyway) low-level SHA256_Init/Update/Final: they run the block function
   directly (with the CPU's SHA extensions where it has them), where OpenSSL 3's one-shot SHA256()
   and EVP would look the algorithm up, under a lock, on every call. */

#define PY_SSIZE_T_CLEAN
#define OPENSSL_API_COMPAT 0x10100000L /* the low-level SHA256_* calls, deprecated in 3.0 */
#include <Python.h>
#include <openssl/sha.h>
#include <string.h>

#define MAX_WEIGHT 1000

typedef struct {
    const char *id;
    Py_ssize_t size;
    long weight;
} entity;

static void hash_all(const unsigned char *prefix, Py_ssize_t prefix_size, const entity *entities, Py_ssize_t n,
                     unsigned char *buffer, unsigned char *out) {
    memcpy(buffer, prefix, (size_t)prefix_size);
    for (Py_ssize_t i = 0; i < n; i++) {
        const entity *e = &entities[i];
        unsigned char *at = buffer + prefix_size;
        memcpy(at, e->id, (size_t)e->size);
        at += e->size;
        *at++ = 0;
        size_t size = (size_t)(at - buffer) + 4;
        unsigned char digest[32];
        unsigned char *best = out + 32 * i;
        for (long j = 0; j < e->weight; j++) {
            at[0] = (unsigned char)(j >> 24);
            at[1] = (unsigned char)(j >> 16);
            at[2] = (unsigned char)(j >> 8);
            at[3] = (unsigned char)j;
            SHA256_CTX context;
            SHA256_Init(&context);
            SHA256_Update(&context, buffer, size);
            SHA256_Final(digest, &context);
            if (j == 0 || memcmp(digest, best, 32) > 0) {
                memcpy(best, digest, 32);
            }
        }
    }
}

static PyObject *keys(PyObject *module, PyObject *args) {
    Py_buffer prefix;
    PyObject *ids, *weights;
    if (!PyArg_ParseTuple(args, "y*O!O!", &prefix, &PyList_Type, &ids, &PyList_Type, &weights)) {
        return NULL;
    }
    PyObject *result = NULL;
    entity *entities = NULL;
    unsigned char *out = NULL, *buffer = NULL;
    Py_ssize_t n = PyList_GET_SIZE(ids), longest = 0;
    if (PyList_GET_SIZE(weights) != n) {
        PyErr_SetString(PyExc_ValueError, "ids and weights differ in length");
        goto done;
    }
    entities = PyMem_Malloc(sizeof(entity) * (size_t)(n ? n : 1));
    out = PyMem_Malloc(32 * (size_t)(n ? n : 1));
    if (entities == NULL || out == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *id = PyList_GET_ITEM(ids, i);
        if (!PyUnicode_Check(id)) {
            PyErr_Format(PyExc_TypeError, "ids[%zd] must be a string", i);
            goto done;
        }
        entities[i].id = PyUnicode_AsUTF8AndSize(id, &entities[i].size);
        if (entities[i].id == NULL) {
            goto done;
        }
        PyObject *weight = PyList_GET_ITEM(weights, i);
        if (!PyLong_CheckExact(weight)) {
            PyErr_Format(PyExc_TypeError, "weights[%zd] must be an int", i);
            goto done;
        }
        entities[i].weight = PyLong_AsLong(weight);
        if (entities[i].weight < 1 || entities[i].weight > MAX_WEIGHT) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "weights[%zd] must be from 1 to %d", i, MAX_WEIGHT);
            goto done;
        }
        if (entities[i].size > longest) {
            longest = entities[i].size;
        }
    }
    buffer = PyMem_Malloc((size_t)(prefix.len + longest + 5));
    if (buffer == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    /* The lists and their strings stay alive and unchanged: the caller holds them and this
       module's only callers never share them with another thread. */
    Py_BEGIN_ALLOW_THREADS
    hash_all(prefix.buf, prefix.len, entities, n, buffer, out);
    Py_END_ALLOW_THREADS
    result = PyList_New(n);
    if (result == NULL) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *key = PyBytes_FromStringAndSize((const char *)(out + 32 * i), 32);
        if (key == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, i, key);
    }
done:
    PyMem_Free(entities);
    PyMem_Free(out);
    PyMem_Free(buffer);
    PyBuffer_Release(&prefix);
    return result;
}

static PyMethodDef methods[] = {
    {"keys", keys, METH_VARARGS, "keys(prefix, ids, weights) -> the ssj-draw-v1 target key of each entity"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "draw._fastkeys", NULL, -1, methods};

PyMODINIT_FUNC PyInit__fastkeys(void) { return PyModule_Create(&module); }
