/* The two national check-digit rules of registry.codes in C, as yes/no answers.

   credit_code_ok(code) -> bool   GB 32100-2015: 18 characters of the code set, check digit
                                  31 - (sum of value x 3**i mod 31) mod 31.
   id_number_ok(number) -> bool   GB 11643-1999: 17 ASCII digits whose birth date (digits 7-14)
                                  is a calendar date from 1900 on, and the ISO 7064 MOD 11-2 check
                                  character (X upper case).

   They say yes exactly when credit_code_problem / id_card_problem find nothing, which
   test_rules holds them to; on no, registry.codes asks those for the reason. They exist because
   a bulk import checks both codes of every row, and in Python the two checks were a sixth of the
   batch API's time. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

static const char CREDIT_CHARSET[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int CREDIT_WEIGHTS[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
static const int ID_WEIGHTS[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char ID_CHECK[] = "10X98765432";
static signed char credit_value[256]; /* -1 outside the code set */

/* Points *s at the string's UTF-8 and returns 1 if that is exactly 18 bytes long (a non-ASCII
   string of 18 characters is longer, so anything that passes is 18 ASCII characters or fails
   later); 0 if it is not, -1 (TypeError set) for a non-string. */
static int eighteen(PyObject *arg, const unsigned char **s) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "expected a str");
        return -1;
    }
    Py_ssize_t size;
    const char *text = PyUnicode_AsUTF8AndSize(arg, &size);
    if (text == NULL) { /* lone surrogates: not a code either */
        PyErr_Clear();
        return 0;
    }
    *s = (const unsigned char *)text;
    return size == 18;
}

#define EIGHTEEN_OR_RETURN(arg, s)                                      \
    do {                                                                \
        int found = eighteen(arg, &s);                                  \
        if (found <= 0) return found < 0 ? NULL : Py_NewRef(Py_False); \
    } while (0)

static PyObject *credit_code_ok(PyObject *self, PyObject *arg) {
    const unsigned char *s;
    EIGHTEEN_OR_RETURN(arg, s);
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        int value = credit_value[s[i]];
        if (value < 0) Py_RETURN_FALSE;
        sum += value * CREDIT_WEIGHTS[i];
    }
    int check = credit_value[s[17]];
    return PyBool_FromLong(check >= 0 && check == (31 - sum % 31) % 31);
}

static int digits(const unsigned char *s, int n) {
    int value = 0;
    for (int i = 0; i < n; i++) value = value * 10 + (s[i] - '0');
    return value;
}

static PyObject *id_number_ok(PyObject *self, PyObject *arg) {
    static const int DAYS[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const unsigned char *s;
    EIGHTEEN_OR_RETURN(arg, s);
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (s[i] < '0' || s[i] > '9') Py_RETURN_FALSE;
        sum += (s[i] - '0') * ID_WEIGHTS[i];
    }
    int year = digits(s + 6, 4), month = digits(s + 10, 2), day = digits(s + 12, 2);
    if (year < 1900 || month < 1 || month > 12 || day < 1 || day > DAYS[month - 1]) Py_RETURN_FALSE;
    if (month == 2 && day == 29 && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))) Py_RETURN_FALSE;
    unsigned char check = s[17] == 'x' ? 'X' : s[17];
    return PyBool_FromLong(check == (unsigned char)ID_CHECK[sum % 11]);
}

static PyMethodDef methods[] = {
    {"credit_code_ok", credit_code_ok, METH_O, "GB 32100-2015: is this a valid unified social credit code?"},
    {"id_number_ok", id_number_ok, METH_O, "GB 11643-1999: is this a valid ID-card number (x read as X)?"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "registry._checks", NULL, -1, methods};

PyMODINIT_FUNC PyInit__checks(void) {
    memset(credit_value, -1, sizeof credit_value);
    for (int i = 0; CREDIT_CHARSET[i]; i++) credit_value[(unsigned char)CREDIT_CHARSET[i]] = (signed char)i;
    return PyModule_Create(&module);
}
