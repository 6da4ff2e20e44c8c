console.log('client placeholder');
