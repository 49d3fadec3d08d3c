package pdc

// Test hooks for the fuzz target in package pdc_test.
func DecodeErrorForTest(data []byte) error { return newError("GET", "/", 400, data) }

func DecodeListForTest(data []byte) ([]Module, string, int, error) { return decodeList[Module](data) }
