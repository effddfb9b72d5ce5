	.text
	.section	xdp,"ax",@progbits
	.globl	redundant_pass
	.type	redundant_pass,@function
redundant_pass:
	r0 = 2
	r0 += 0
	r2 = r0
	r0 = r2
	r3 = 7
	exit
.Lfunc_end0:
	.size	redundant_pass, .Lfunc_end0-redundant_pass
	.section	license,"aw",@progbits
	.globl	_license
_license:
	.asciz	"GPL"
	.size	_license, 4
