// PLACEHOLDER: on-device benchmark entry (issue 3)
print('bench: nothing yet');
